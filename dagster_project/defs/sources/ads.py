"""Extract assets for the ad platforms (Google Ads, Meta, LinkedIn): one per contract."""

from dagster_project.defs.sources.contracts import contracts_for
from dagster_project.defs.sources.extract import build_system_assets

assets = build_system_assets(contracts_for("ads"))
