"""PostgreSQL for BI tools as an asset (the publisher is ``lib/serving/postgres.py``)."""

import contextlib

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import (
    POSTGRES_DSN_ENV,
    WAREHOUSE_POOL,
    PostgresTarget,
    dbt_project,
)
from dagster_project.lib.serving import pii as pii_sql
from dagster_project.lib.serving.catalog import SERVED_SCHEMAS, read_catalog
from dagster_project.lib.serving.postgres import describe_dsn, publish_postgres


@dg.asset(
    key=["serving", "postgres_marts"],
    pool=WAREHOUSE_POOL,
    # after the DuckDB snapshot: a run whose snapshot failed leaves PostgreSQL as it was too
    deps=[dg.AssetKey(["serving", "duckdb_snapshot"])],
    group_name="serving",
    kinds={"postgres"},
    output_required=False,
    description="The schemas " + ", ".join(SERVED_SCHEMAS) + " published to PostgreSQL for BI "
    "tools (personal columns hashed or masked, read-only role with SELECT on them only), swapped "
    f"in by one transaction. Off while `{POSTGRES_DSN_ENV}` is unset.",
)
def postgres_marts(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, postgres: PostgresTarget
):
    """Publishes the served schemas to PostgreSQL when a database is configured."""
    if not postgres.dsn:
        message = f"not published: {POSTGRES_DSN_ENV} is not set"
        context.log.info(message)
        yield dg.AssetObservation(
            asset_key=context.asset_key, metadata={"published": False, "reason": message}
        )
        return
    mode = pii_sql.parse_mode(postgres.pii_mode, "RJW_PII_MODE", "hash")
    if mode == "hash" and not postgres.pii_salt:
        context.log.warning(
            "RJW_PII_SALT is not set: hashed emails can be recovered by hashing guesses"
        )
    catalog = read_catalog(dbt_project.manifest_path)
    # closing(): DuckDBResource leaves the connection open when the body raises
    with duckdb.get_connection() as con, contextlib.closing(con):
        result = publish_postgres(
            con,
            postgres.dsn,
            run_id=context.run_id,
            source_warehouse=duckdb.database,
            catalog=catalog,
            reader_role=postgres.reader_role,
            reader_password=postgres.reader_password,
            pii_mode=mode,
            pii_salt=postgres.pii_salt or "",
            lock_timeout_seconds=postgres.lock_timeout_seconds,
        )
    if result["old_schemas_kept"]:
        context.log.warning(
            f"old schemas still in use, dropped by the next publish: {result['old_schemas_kept']}"
        )
    where = describe_dsn(postgres.dsn)
    context.log.info(
        f"published {len(result['tables'])} tables to PostgreSQL in {result['seconds']} s"
    )
    yield dg.MaterializeResult(
        metadata={
            "published": True,
            "database": where,
            "schemas": dg.MetadataValue.json(result["schemas"]),
            "dagster/row_count": sum(result["tables"].values()),
            "rows_per_table": dg.MetadataValue.json(result["tables"]),
            "pii_mode": mode,
            "pii_salt_set": bool(postgres.pii_salt),
            "reader_role": result["reader_role"],
            "reader_can_login": result["reader_can_login"],
            "old_schemas_kept": dg.MetadataValue.json(result["old_schemas_kept"]),
            "swap_seconds": result["swap_seconds"],
            "duration_seconds": result["seconds"],
        }
    )
