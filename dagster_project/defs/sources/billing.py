"""Extract assets for the billing (Stripe API objects as NDJSON): one asset per landing contract."""

from dagster_project.defs.sources.extract import build_system_assets
from dagster_project.lib.landing.contracts import contracts_for

assets = build_system_assets(contracts_for("billing"))
