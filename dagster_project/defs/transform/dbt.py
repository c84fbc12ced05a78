"""dbt models as Dagster assets (dagster-dbt): ``dbt build`` so dbt tests run as asset checks."""

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import (
    WAREHOUSE_POOL,
    ReportsFolder,
    WarehouseDbt,
    dbt_project,
    dbt_vars,
    memory_limit_of,
    warehouse_vars,
)
from dagster_project.lib import spark_output
from dagster_project.lib.build_state import decide, project_fingerprint, record_build
from dagster_project.lib.html import quality_report
from dagster_project.lib.landing import parquet_mirror
from dagster_project.lib.quality import model_tests, store

# a run tagged with this (value "always"; `rjw run --rebuild` sets it) builds even when nothing
# changed since the last build
FORCE_BUILD_TAG = "rjw/dbt_build"


def dbt_build_args(duckdb: DuckDBResource, dbt: WarehouseDbt | None = None) -> list[str]:
    """``dbt build`` into the DuckDB resource's file with its memory limit: they reach dbt as the
    vars ``warehouse_path`` and ``duckdb_memory_limit`` that dbt/profiles.yml reads
    (``RJW_DUCKDB_PATH`` and ``RJW_DUCKDB_MEMORY_LIMIT`` only for dbt by hand); on Spark also
    ``spark_dir`` (its tables, metastore and the raw tables' Parquet copy)."""
    return ["build", *warehouse_vars(duckdb.database, memory_limit_of(duckdb), _spark_dir(dbt))]


def _spark_dir(dbt: DbtCliResource | None) -> str | None:
    return dbt.spark_dir if isinstance(dbt, WarehouseDbt) and dbt.on_spark else None


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


def _report_model_tests(
    context: dg.AssetExecutionContext,
    invocation: DbtCliInvocation,
    duckdb: DuckDBResource,
    reports: ReportsFolder,
) -> None:
    """Record the build's data tests that warned or failed (orphans above all) and show them in
    the quality report beside the raw tables' checks."""
    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:  # dbt stopped before running anything (its error is in the log)
        return
    not_passing = model_tests.not_passing(run_results, invocation.manifest)
    with duckdb.get_connection() as con:
        model_tests.record(con, not_passing, context.run.run_id)
        raw_results = store.latest_results(con)
    quality_report.write_report(raw_results, reports.path, not_passing)
    orphans = model_tests.orphaned_rows(not_passing)
    context.log.info(
        f"{len(not_passing)} dbt data test(s) did not pass ({orphans:,} orphaned rows); "
        f"quality report {quality_report.report_url(reports.path, 'model-tests')}"
    )


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    duckdb: DuckDBResource,
    reports: ReportsFolder,
):
    """The whole project: skipped when nothing changed since the last successful build (no
    new load, same dbt project and vars; lib/build_state.py), so a night with nothing new runs
    no dbt model and the assets downstream are skipped too. On new data with the same dbt
    project the unit tests (fixed inputs: they test the SQL, not the data) are left out and the
    incremental models (the large staging tables, touchpoints) add only the change; a changed
    project or a forced build runs them all with ``--full-refresh``. The build's data tests
    that warned or failed (orphans above all) are recorded and shown in the quality report. A
    subset chosen by hand (the UI, a test) always runs and is never recorded as a build of the
    whole project."""
    args = dbt_build_args(duckdb, dbt)
    spark_dir = _spark_dir(dbt)
    if spark_dir is not None:
        # Spark reads the raw tables from their Parquet copy: copy what a crash between a
        # commit and its copy may have left out, and drop what replaced files removed
        with duckdb.get_connection() as con:
            mirrored = parquet_mirror.sync(con, Path(spark_dir) / "raw")
        context.log.info(
            f"raw tables' Parquet copy: {len(mirrored.written)} load(s) written, "
            f"{len(mirrored.removed)} removed, in {mirrored.seconds:.1f} s"
        )
    if context.is_subset:
        yield from dbt.cli(args, context=context).stream()
        return
    fingerprint = project_fingerprint(
        dbt_project.project_dir, dbt_vars(duckdb.database, memory_limit_of(duckdb), spark_dir)
    )
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
        # same SQL as the last build: its unit tests (fixed inputs) passed then and would now;
        # the incremental models add only what the new loads touched
        args = [*args, "--exclude-resource-type", "unit_test"]
    else:
        # a changed project (or a forced build): rows the incremental models kept were made by
        # the old SQL, so they are rebuilt from raw
        args = [*args, "--full-refresh"]
    started_at = datetime.now(UTC)
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    _report_model_tests(context, invocation, duckdb, reports)
    if not invocation.is_successful():
        raise dg.Failure(
            "dbt build failed: "
            + "; ".join(model_tests.failed_nodes(invocation.get_artifact("run_results.json")))[
                :3000
            ],
        )
    with duckdb.get_connection() as con:
        if spark_dir is not None:
            # the assets after dbt read the warehouse through DuckDB: Spark's tables as views
            attached = spark_output.attach(con, Path(spark_dir) / "warehouse")
            context.log.info(f"{len(attached)} Spark tables readable in the DuckDB warehouse")
        record_build(con, fingerprint, decision.last_load_id, started_at, context.run.run_id)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_models",
    pool=WAREHOUSE_POOL,
)
def dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    duckdb: DuckDBResource,
    reports: ReportsFolder,
):
    """Builds and tests the dbt models (staging, intermediate, core, marts, with the
    data-driven attribution Python model) in the warehouse."""
    yield from _build(context, dbt, duckdb, reports)
