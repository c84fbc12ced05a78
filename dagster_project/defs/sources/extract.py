"""Builds one extract asset per landing contract: landing files -> DuckDB raw table."""

from __future__ import annotations

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.automation import extract_retry_policy
from dagster_project.defs.resources import WAREHOUSE_POOL, LandingZone
from dagster_project.lib.landing.contracts import META_SCHEMA, Contract
from dagster_project.lib.landing.loader import load_object
from dagster_project.lib.landing.parquet_mirror import REJECTS

PREVIEW_ROWS = 5


def _column_schema(contract: Contract) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type, description=c.description) for c in contract.columns
        ]
    )


def build_extract_asset(
    contract: Contract, retry_policy: dg.RetryPolicy | None = None
) -> dg.AssetsDefinition:
    """An asset that loads new landing files of ``contract`` into its raw table; retried by
    ``retry_policy`` (default: the extract policy of the settings)."""

    @dg.asset(
        key=contract.asset_path,
        group_name=f"raw_{contract.system}",
        kinds={"duckdb", contract.format},
        description=f"{contract.description} Loaded from `landing/{contract.folder}/` into "
        f"`{contract.table}`; rejected rows go to `{META_SCHEMA}.load_rejects`.",
        metadata={
            "dagster/column_schema": _column_schema(contract),
            "dagster/table_name": contract.table,
            "source_mode": "files",
            "landing_folder": contract.folder,
            "file_format": contract.format,
            "primary_key": ", ".join(contract.primary_key),
            "updated_at_field": contract.updated_at or "(latest load wins)",
        },
        tags={"system": contract.system, "source_mode": "files"},
        # transient failures (a file still being written, a locked warehouse) pass on a later
        # attempt; contract violations fail every attempt (RJW_EXTRACT_MAX_RETRIES, ...)
        retry_policy=retry_policy or extract_retry_policy(),
        pool=WAREHOUSE_POOL,
    )
    def _extract(duckdb: DuckDBResource, landing: LandingZone) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            # (the Spark target: each committed file's rows copied to Parquet as well)
            tables = [tuple(contract.table.split(".", 1)), REJECTS]
            result = load_object(
                con, contract, landing.path, after_commit=lambda c: landing.mirror(c, tables)
            )
            total = con.execute(f"select count(*) from {contract.table}").fetchone()[0]
            preview = con.execute(
                f"select * exclude (_extra, _load_id) from {contract.table} "
                f"order by _load_id desc, _source_line limit {PREVIEW_ROWS}"
            ).df()
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(int(total)),
                "rows_received": result.rows_received,
                "rows_loaded": result.rows_loaded,
                "rows_rejected": result.rows_rejected,
                "files_seen": result.files_seen,
                "files_loaded": result.files_loaded,
                "files_skipped_unchanged": result.files_skipped,
                "files_replaced": result.files_replaced,
                "files_duplicate": result.files_duplicate,
                "extra_columns": dg.MetadataValue.json(result.extra_columns),
                "duration_seconds": round(result.duration_seconds, 3),
                "preview": dg.MetadataValue.md(
                    preview.to_markdown(index=False) if len(preview) else "(empty)"
                ),
            }
        )

    return _extract


def build_system_assets(contracts: list[Contract]) -> list[dg.AssetsDefinition]:
    return [build_extract_asset(c) for c in contracts]


def build_load_audit(extracts: list[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    """The load manifest, audited once every extract asset has run."""

    @dg.asset(
        key=["raw", "meta", "load_manifest"],
        pool=WAREHOUSE_POOL,
        deps=[a.key for a in extracts],
        group_name="raw_meta",
        kinds={"duckdb"},
        description="The load manifest (`raw_meta.load_manifest`: one row per landing file load "
        "with size, sha256, rows received / loaded / rejected, status) and the rejects "
        "(`raw_meta.load_rejects`), audited after the extracts: fails if any current file does "
        "not reconcile (loaded + rejected = received).",
    )
    def load_manifest(duckdb: DuckDBResource) -> dg.MaterializeResult:
        with duckdb.get_connection() as con:
            files = con.execute(f"""
                select table_name, count(*) as files, sum(rows_received) as received,
                       sum(rows_loaded) as loaded, sum(rows_rejected) as rejected
                from {META_SCHEMA}.current_files group by 1 order by 1""").df()
            broken = con.execute(f"""
                select table_name, source_uri, rows_received, rows_loaded, rows_rejected
                from {META_SCHEMA}.current_files
                where rows_loaded + rows_rejected <> rows_received""").fetchall()
            reasons = con.execute(f"""
                select table_name, error_type, count(distinct (source_uri, line)) as rows
                from {META_SCHEMA}.load_rejects group by all order by 1, 2""").df()
        if broken:
            raise dg.Failure(
                f"files that do not reconcile (loaded + rejected != received): {broken}"
            )
        return dg.MaterializeResult(
            metadata={
                "files": int(files.files.sum()),
                "rows_received": int(files.received.sum()),
                "rows_loaded": int(files.loaded.sum()),
                "rows_rejected": int(files.rejected.sum()),
                "per_table": dg.MetadataValue.md(files.to_markdown(index=False)),
                "rejects_by_reason": dg.MetadataValue.md(
                    reasons.to_markdown(index=False) if len(reasons) else "(none)"
                ),
            }
        )

    return load_manifest
