"""Closing the loop: the write-back assets. After dbt, ``writeback/salesforce`` pushes the
engagement, sourcing, briefing and nurture fields to Salesforce (Bulk API 2.0, only values that
changed) and ``writeback/ad_conversions`` sends qualified leads and won deals to Google Ads, Meta
and LinkedIn as offline conversions (each once). Both are dry-runs that write their exact
payloads to files until a target is configured live (see ``lib/connectors/push_config.py``).
A record or conversion a target refuses is reported (metadata, ``writeback.push_failures``, the
report) and sent again next night; it never fails the night. An API that cannot be reached or
refuses the credentials fails the asset (redacted)."""

from __future__ import annotations

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import WAREHOUSE_POOL, SourceApi, WriteBack
from dagster_project.lib.connectors.conversions import PLATFORMS
from dagster_project.lib.connectors.http import ConnectorError
from dagster_project.lib.connectors.push_config import PushSettings
from dagster_project.lib.connectors.push_fields import PUSH_OBJECTS
from dagster_project.lib.connectors.push_state import (
    PushCount,
    new_push_id,
    prune_payloads,
    push_conversions,
    push_crm,
)

CRM_KEY = dg.AssetKey(["writeback", "salesforce"])
CONVERSIONS_KEY = dg.AssetKey(["writeback", "ad_conversions"])


def _table(counts: list[PushCount]) -> str:
    lines = [
        "| target | object | mode | to send | sent | accepted | refused | unprocessed | too old |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {c.target} | {c.object} | {c.mode} | {c.rows_pending} | {c.rows_sent} | "
        f"{c.rows_succeeded} | {c.rows_failed} | {c.rows_unprocessed} | {c.rows_expired} |"
        for c in counts
    ]
    return "\n".join(lines)


def _metadata(counts: list[PushCount], push_id: str, started: float) -> dict:
    failures = [
        {"target": c.target, "object": c.object, "record": k, "error": e}
        for c in counts
        for k, e in c.failures[:50]
    ]
    return {
        "push_id": push_id,
        "pushes": dg.MetadataValue.md(_table(counts)),
        "rows_sent": sum(c.rows_sent for c in counts),
        "rows_accepted": sum(c.rows_succeeded for c in counts),
        "rows_refused": sum(c.rows_failed for c in counts),
        "rows_unprocessed": sum(c.rows_unprocessed for c in counts),
        "rows_too_old": sum(c.rows_expired for c in counts),
        "refused_first_50": dg.MetadataValue.json(failures),
        "payload_files": dg.MetadataValue.json([f for c in counts for f in c.payload_files]),
        "seconds": round(time.perf_counter() - started, 3),
    }


def build_writeback_assets(push: PushSettings) -> list[dg.AssetsDefinition]:
    """The two write-back assets; each needs the API resources of the targets it pushes to
    live (``push.live``)."""
    crm_live = push.modes.get("salesforce") == "live"

    @dg.asset(
        key=CRM_KEY,
        deps=[dg.AssetKey(o.model) for o in PUSH_OBJECTS],
        group_name="writeback",
        kinds={"salesforce"},
        pool=WAREHOUSE_POOL,
        required_resource_keys={"duckdb", "writeback", *(["salesforce"] if crm_live else [])},
        description="Engagement score, surge date, call-today flag, sourcing, attributed pipeline, "
        "briefings and nurture reasons pushed to custom fields on Account, Opportunity and Lead "
        "through Bulk API 2.0 ingest jobs; only values that changed since Salesforce last "
        "confirmed them (README: Write-back).",
    )
    def crm_writeback(context) -> dg.MaterializeResult:  # noqa: ANN001
        started = time.perf_counter()
        writeback: WriteBack = context.resources.writeback
        duckdb: DuckDBResource = context.resources.duckdb
        push_id = new_push_id()
        mode = writeback.mode("salesforce")
        if mode == "off":
            return dg.MaterializeResult(metadata={"mode": "off"})
        bulk = None
        if mode == "live":
            source: SourceApi = context.resources.salesforce
            bulk = source.push_client({}, writeback.poll_seconds)
        try:
            with duckdb.get_connection() as con:
                counts = push_crm(
                    con,
                    bulk,
                    writeback.path,
                    push_id,
                    writeback.max_records_per_job,
                    log=context.log.info,
                )
        except ConnectorError as exc:
            raise dg.Failure(description=str(exc), allow_retries=exc.retryable) from None
        prune_payloads(writeback.path)
        for c in counts:
            if c.error:
                context.log.warning(f"salesforce {c.object}: {c.error}")
        return dg.MaterializeResult(metadata={"mode": mode, **_metadata(counts, push_id, started)})

    conversions_live = [p for p in PLATFORMS if push.modes.get(p) == "live"]

    @dg.asset(
        key=CONVERSIONS_KEY,
        deps=[dg.AssetKey("ad_conversions")],
        group_name="writeback",
        kinds={"google_ads", "meta_ads", "linkedin_ads"},
        pool=WAREHOUSE_POOL,
        required_resource_keys={"duckdb", "writeback", *conversions_live},
        description="Qualified leads and won deals sent to the ad platforms as offline "
        "conversions (Google Ads click conversions, Meta Conversions API, LinkedIn Conversions "
        "API), emails only as SHA-256 of the address normalised as each platform specifies; "
        "each conversion once (README: Offline conversions).",
    )
    def conversions_push(context) -> dg.MaterializeResult:  # noqa: ANN001
        started = time.perf_counter()
        writeback: WriteBack = context.resources.writeback
        duckdb: DuckDBResource = context.resources.duckdb
        push_id = new_push_id()
        counts: list[PushCount] = []
        now = writeback.now()
        try:
            with duckdb.get_connection() as con:
                for platform in PLATFORMS:
                    mode = writeback.mode(platform)
                    if mode == "off":
                        continue
                    targets = dict(writeback.targets.get(platform, {}))
                    sender = None
                    if mode == "live":
                        source: SourceApi = getattr(context.resources, platform)
                        sender = source.push_client(targets)
                        targets = sender.targets
                    counts += push_conversions(
                        con,
                        platform,
                        sender,
                        targets,
                        writeback.path,
                        push_id,
                        now,
                        log=context.log.info,
                    )
        except ConnectorError as exc:
            raise dg.Failure(description=str(exc), allow_retries=exc.retryable) from None
        prune_payloads(writeback.path)
        return dg.MaterializeResult(
            metadata={
                "modes": dg.MetadataValue.json({p: writeback.mode(p) for p in PLATFORMS}),
                "as_of": now.isoformat(),
                **_metadata(counts, push_id, started),
            }
        )

    return [crm_writeback, conversions_push]
