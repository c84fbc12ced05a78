"""The code location: assembles assets, checks, automation and resources from ``defs/``."""

import dagster as dg

from dagster_project.defs import automation
from dagster_project.defs.quality.checks import build_quality_checks
from dagster_project.defs.resources import SETTINGS, build_resources
from dagster_project.defs.serving.postgres import postgres_marts
from dagster_project.defs.serving.report import revenue_report
from dagster_project.defs.serving.snapshot import duckdb_snapshot
from dagster_project.defs.serving.writeback import build_writeback_assets
from dagster_project.defs.sources import ads, billing, crm
from dagster_project.defs.sources.api import build_extracts
from dagster_project.defs.sources.extract import build_load_audit
from dagster_project.defs.transform.dbt import dbt_models
from dagster_project.lib.landing.contracts import contracts_for
from dagster_project.lib.settings import Settings

extracts = [*crm.assets, *ads.assets, *billing.assets]  # (every system from files)


def build_assets(settings: Settings = SETTINGS) -> list[dg.AssetsDefinition]:
    """extract (files or API, per system) -> load audit -> dbt (with the data-driven attribution
    Python model) -> publish, write back to the CRM and the ad platforms, and report."""
    sourced = [
        asset
        for system in ("crm", "ads", "billing")
        for asset in build_extracts(system, contracts_for(system), settings.api.modes[system])
    ]
    return [
        *sourced,
        build_load_audit(sourced),
        dbt_models,
        duckdb_snapshot,
        postgres_marts,
        *build_writeback_assets(settings.push),
        revenue_report,
    ]


assets = build_assets()
# the quality gate on every raw asset (blocking checks hold back everything downstream)
asset_checks = build_quality_checks()


def build_definitions(settings: Settings = SETTINGS) -> dg.Definitions:
    """The code location for ``settings`` (the ``rjw`` command passes its own)."""
    return dg.Definitions(
        assets=assets if settings is SETTINGS else build_assets(settings),
        asset_checks=asset_checks,
        jobs=automation.jobs,
        schedules=[automation.build_nightly_schedule(settings)],
        sensors=[automation.build_landing_sensor(settings), automation.run_failure_alert],
        resources=build_resources(settings),
        # One process runs the steps one after another: DuckDB allows a single writer per file.
        executor=dg.in_process_executor,
    )


defs = build_definitions()
