"""Builds the API extract assets: one per contract object an API delivers (Salesforce, Stripe,
Google Ads, Meta, LinkedIn), landing in the same raw table as the files would, through the same
contract and commit (``lib/connectors/commit.py``)."""

from __future__ import annotations

import tempfile

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.automation import extract_retry_policy
from dagster_project.defs.resources import WAREHOUSE_POOL, SourceApi
from dagster_project.defs.sources.extract import _column_schema, build_extract_asset
from dagster_project.lib.connectors.commit import commit_batches
from dagster_project.lib.connectors.http import ConnectorError
from dagster_project.lib.connectors.registry import API_NAMES, api_of
from dagster_project.lib.landing.contracts import META_SCHEMA, Contract
from dagster_project.lib.landing.parquet_mirror import REJECTS


def build_api_extract_asset(contract: Contract, api: str) -> dg.AssetsDefinition:
    """An asset that extracts ``contract``'s object from ``api`` (the resource of that name)
    from where the last run stopped (``raw_meta.api_state``) into its raw table."""

    @dg.asset(
        key=contract.asset_path,
        group_name=f"raw_{contract.system}",
        kinds={api, "duckdb"},
        description=f"{contract.description} Extracted from the {API_NAMES[api]} (source mode "
        f"`api`) into `{contract.table}`; rejected records go to `{META_SCHEMA}.load_rejects`, "
        f"the cursor to `{META_SCHEMA}.api_state`.",
        metadata={
            "dagster/column_schema": _column_schema(contract),
            "dagster/table_name": contract.table,
            "source_mode": "api",
            "source_api": API_NAMES[api],
            "primary_key": ", ".join(contract.primary_key),
        },
        tags={"system": contract.system, "source_mode": "api"},
        required_resource_keys={api, "duckdb", "landing"},
        retry_policy=extract_retry_policy(),
        pool=WAREHOUSE_POOL,
    )
    def _extract(context) -> dg.MaterializeResult:  # noqa: ANN001 (dagster checks the name)
        source: SourceApi = getattr(context.resources, api)
        duckdb: DuckDBResource = context.resources.duckdb
        connector = source.connector()
        try:
            with duckdb.get_connection() as con, tempfile.TemporaryDirectory() as work:
                result = commit_batches(
                    con,
                    contract,
                    f"{api}/{contract.object}",
                    lambda state: connector.batches(contract, state),
                    work,
                    connector.redact,
                )
                total = con.execute(f"select count(*) from {contract.table}").fetchone()[0]
                # (the Spark target: the committed pages' rows copied to Parquet as well)
                context.resources.landing.mirror(
                    con, [tuple(contract.table.split(".", 1)), REJECTS]
                )
        except ConnectorError as exc:  # (already redacted; the cause may hold a credential)
            raise dg.Failure(description=str(exc), allow_retries=exc.retryable) from None
        load = result.load
        if result.extra_fields:
            context.log.warning(
                f"{contract.table}: fields the contract does not know, kept in _extra: "
                f"{sorted({f for fields in result.extra_fields.values() for f in fields})}"
            )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": dg.MetadataValue.int(int(total)),
                "requests": connector.counter.total,
                "requests_by_status": dg.MetadataValue.json(
                    {str(k): v for k, v in sorted(connector.counter.by_status.items())}
                ),
                "batches": result.batches,
                "loads": load.files_loaded + load.files_replaced,
                "unchanged_snapshots": load.files_skipped,
                "rows_received": load.rows_received,
                "rows_loaded": load.rows_loaded,
                "rows_rejected": load.rows_rejected,
                "extra_columns": dg.MetadataValue.json(result.extra_fields),
                "state": dg.MetadataValue.json(result.state),
                "duration_seconds": round(load.duration_seconds, 3),
            }
        )

    return _extract


def build_extracts(system: str, contracts: list[Contract], mode: str) -> list[dg.AssetsDefinition]:
    """The system's extract assets: from its API where ``mode`` is api and an API delivers the
    object, from landing files otherwise."""
    out = []
    for contract in contracts:
        api = api_of(system, contract.object) if mode == "api" else None
        out.append(build_api_extract_asset(contract, api) if api else build_extract_asset(contract))
    return out
