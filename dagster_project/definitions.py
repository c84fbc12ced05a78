"""The code location: assembles assets, jobs and resources from ``defs/``."""

import dagster as dg

from dagster_project.defs import automation
from dagster_project.defs.quality.checks import build_quality_checks
from dagster_project.defs.resources import build_resources
from dagster_project.defs.serving.postgres import postgres_marts
from dagster_project.defs.serving.report import revenue_report
from dagster_project.defs.serving.snapshot import duckdb_snapshot
from dagster_project.defs.sources import ads, billing, crm
from dagster_project.defs.sources.extract import build_load_audit
from dagster_project.defs.transform.data_driven import data_driven_channel_credit
from dagster_project.defs.transform.dbt import dbt_models, dbt_models_after_data_driven

extracts = [*crm.assets, *ads.assets, *billing.assets]

# extract -> load audit -> dbt -> data-driven attribution -> dbt after it -> publish and report
assets = [
    *extracts,
    build_load_audit(extracts),
    dbt_models,
    data_driven_channel_credit,
    dbt_models_after_data_driven,
    duckdb_snapshot,
    postgres_marts,
    revenue_report,
]
# the quality gate on every raw asset (blocking checks hold back everything downstream)
asset_checks = build_quality_checks()

defs = dg.Definitions(
    assets=assets,
    asset_checks=asset_checks,
    jobs=automation.jobs,
    schedules=automation.schedules,
    sensors=automation.sensors,
    resources=build_resources(),
    # One process runs the steps one after another: DuckDB allows a single writer per file.
    executor=dg.in_process_executor,
)
