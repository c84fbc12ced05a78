"""The code location: assembles assets, jobs and resources from ``defs/``."""

import dagster as dg

from dagster_project.defs import automation
from dagster_project.defs.resources import build_resources
from dagster_project.defs.sources import ads, billing, crm
from dagster_project.defs.sources.extract import build_load_audit
from dagster_project.defs.transform.data_driven import data_driven_channel_credit
from dagster_project.defs.transform.dbt import dbt_models, dbt_models_after_data_driven

extracts = [*crm.assets, *ads.assets, *billing.assets]

defs = dg.Definitions(
    assets=[
        *extracts,
        build_load_audit(extracts),
        dbt_models,
        data_driven_channel_credit,
        dbt_models_after_data_driven,
    ],
    jobs=automation.jobs,
    resources=build_resources(),
    # One process runs the steps one after another: DuckDB allows a single writer per file.
    executor=dg.in_process_executor,
)
