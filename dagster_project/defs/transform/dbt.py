"""dbt models as Dagster assets (dagster-dbt): ``dbt build`` so dbt tests run as asset checks."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import WAREHOUSE_POOL, dbt_project, dbt_vars, warehouse_vars
from dagster_project.lib.build_state import decide, project_fingerprint, record_build

# a run tagged with this (value "always"; `rjw run --rebuild` sets it) builds even when nothing
# changed since the last build
FORCE_BUILD_TAG = "rjw/dbt_build"


def dbt_build_args(duckdb: DuckDBResource) -> list[str]:
    """``dbt build`` into the DuckDB resource's file: the path reaches dbt as the var
    ``warehouse_path`` that dbt/profiles.yml reads (``RJW_DUCKDB_PATH`` only for dbt by hand)."""
    return ["build", *warehouse_vars(duckdb.database)]


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt sources map to the extract assets (``raw/<system>/<object>``); models keep their dbt
    name and are grouped by layer (staging, intermediate, core, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        explicit = dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key")
        if explicit:  # a node written outside dbt can name the asset that writes it
            return dg.AssetKey(explicit)
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(
                ["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]]
            )
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    """The whole project: skipped when nothing changed since the last successful build (no
    new load, same dbt project and vars; lib/build_state.py), so a night with nothing new runs
    no dbt model and the assets downstream are skipped too. On new data with the same dbt
    project the unit tests (fixed inputs: they test the SQL, not the data) are left out. A
    subset chosen by hand (the UI, a test) always runs and is never recorded as a build of the
    whole project."""
    args = dbt_build_args(duckdb)
    if context.is_subset:
        yield from dbt.cli(args, context=context).stream()
        return
    fingerprint = project_fingerprint(dbt_project.project_dir, dbt_vars(duckdb.database))
    with duckdb.get_connection() as con:
        decision = decide(con, fingerprint)
    forced = context.run.tags.get(FORCE_BUILD_TAG) == "always"
    if not decision.build and not forced:
        context.log.info(f"dbt build skipped: {decision.reason}")
        return
    context.log.info(
        "dbt build: " + ("forced by the run tag " + FORCE_BUILD_TAG if forced else decision.reason)
    )
    if not decision.code_changed and not forced:
        # same SQL as the last build: its unit tests (fixed inputs) passed then and would now
        args = [*args, "--exclude-resource-type", "unit_test"]
    started_at = datetime.now(UTC)
    yield from dbt.cli(args, context=context).stream()
    with duckdb.get_connection() as con:
        record_build(con, fingerprint, decision.last_load_id, started_at, context.run.run_id)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_models",
    pool=WAREHOUSE_POOL,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: DuckDBResource):
    """Builds and tests the dbt models (staging, intermediate, core, marts, with the
    data-driven attribution Python model) in the warehouse."""
    yield from _build(context, dbt, duckdb)
