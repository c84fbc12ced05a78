"""The analysts' read-only DuckDB snapshot as an asset (the publisher is
``lib/serving/snapshot.py``)."""

import contextlib
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import WAREHOUSE_POOL, ServingTarget, dbt_project
from dagster_project.defs.transform.dbt import WarehouseTranslator
from dagster_project.lib.serving import pii as pii_sql
from dagster_project.lib.serving.catalog import (
    SERVED_SCHEMAS,
    DbtCatalog,
    read_catalog,
    served_tables,
)
from dagster_project.lib.serving.snapshot import PREVIOUS_FILE, SNAPSHOT_FILE, publish_snapshot


def served_asset_keys(catalog: DbtCatalog) -> list[dg.AssetKey]:
    """The assets that write the served tables: every dbt model and seed of the served schemas
    and the Python assets behind dbt sources there (data-driven attribution)."""
    translator = WarehouseTranslator()
    keys = {translator.get_asset_key(node) for node in catalog.nodes}
    return sorted(keys, key=lambda k: k.to_user_string())


# (importing the dbt assets above has parsed the dbt project if its manifest was missing or stale)
_CATALOG = read_catalog(dbt_project.manifest_path)


@dg.asset(
    key=["serving", "duckdb_snapshot"],
    pool=WAREHOUSE_POOL,
    deps=served_asset_keys(_CATALOG),
    group_name="serving",
    kinds={"duckdb"},
    description=f"A read-only DuckDB copy of the schemas {', '.join(SERVED_SCHEMAS)} for "
    f"analysts: `<RJW_SERVING_DIR>/{SNAPSHOT_FILE}` (default `data/serving/`), swapped in "
    "atomically after every mart was built and tested; the one before is kept as "
    f"`{PREVIOUS_FILE}` for `rjw serving rollback`.",
)
def duckdb_snapshot(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource, serving: ServingTarget
) -> dg.MaterializeResult:
    """Publishes the served schemas of the warehouse as the analysts' snapshot."""
    # re-read: dbt may have been re-parsed since the code location loaded
    catalog = read_catalog(dbt_project.manifest_path)
    mode = pii_sql.parse_mode(serving.pii_mode, "RJW_SNAPSHOT_PII", "none")
    # closing(): DuckDBResource leaves the connection open when the body raises
    with duckdb.get_connection() as con, contextlib.closing(con):
        suspects = pii_sql.untagged_suspects(
            {(t.schema, t.name): [c for c, _ in t.columns] for t in served_tables(con)},
            catalog.pii,
        )
        manifest = publish_snapshot(
            con,
            serving.path,
            run_id=context.run_id,
            source_warehouse=duckdb.database,
            catalog=catalog,
            pii_mode=mode,
            pii_salt=serving.pii_salt or "",
        )
    if suspects:
        context.log.warning(f"columns that look personal but have no pii tag: {suspects}")
    tables = manifest["tables"]
    context.log.info(
        f"published {len(tables)} tables ({sum(tables.values()):,} rows) to "
        f"{manifest['snapshot']} in {manifest['seconds']} s"
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(manifest["snapshot"]),
            "published_at": manifest["published_at"],
            "tables": len(tables),
            "dagster/row_count": sum(tables.values()),
            "rows_per_table": dg.MetadataValue.json(tables),
            "pii_mode": mode,
            "pii_columns": dg.MetadataValue.json(
                sorted(f"{s}.{t}.{c}" for (s, t), cols in catalog.pii.items() for c in cols)
            ),
            "untagged_pii_suspects": dg.MetadataValue.json(suspects),
            "duration_seconds": manifest["seconds"],
            "size_bytes": Path(manifest["snapshot"]).stat().st_size,
        }
    )
