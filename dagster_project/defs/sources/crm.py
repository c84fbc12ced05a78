"""Extract assets for the CRM (Salesforce-like CSV exports): one asset per landing contract."""

from dagster_project.defs.sources.contracts import contracts_for
from dagster_project.defs.sources.extract import build_system_assets

assets = build_system_assets(contracts_for("crm"))
