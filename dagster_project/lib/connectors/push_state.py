"""The write-back's memory and its two pushes, with no Dagster in them.

State, in the warehouse's schema ``writeback``:
- ``crm_values``: per Salesforce record and field, the value Salesforce last confirmed (a row
  of a job's ``successfulResults``). Only values that differ from it are sent, so a re-run sends
  nothing and a failed record is sent again next night.
- ``crm_jobs``: every ingest job, stored before its upload, so a run that dies mid-job reads the
  job's results next time instead of losing them.
- ``conversions_sent``: every conversion a platform accepted (or refused as too old): each is
  sent once.
- ``push_runs`` and ``push_failures``: what each push sent, per target and object, and every
  record or conversion refused, with the reason (the report and the asset metadata read them).

Dry-run (the default until a target is configured to go live) writes the exact payloads to
files and changes no state: the first live push then sends everything still to send.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.connectors.conversions import (
    BATCH_SIZE,
    MAX_AGE_DAYS,
    Conversion,
    ConversionSender,
    Outcome,
    request_body,
)
from dagster_project.lib.connectors.http import ConnectorError
from dagster_project.lib.connectors.push_fields import PUSH_OBJECTS, PushField, PushObject
from dagster_project.lib.connectors.salesforce_bulk import JobResult, SalesforceBulk

SCHEMA = "writeback"
NULL_VALUE = "#N/A"  # Bulk API: set the field to null (an empty cell leaves it unchanged)
KEEP_DAYS = 14  # payload folders (one per push) are kept this many days

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.crm_values (
    sobject varchar, record_id varchar, field varchar, value varchar,
    pushed_at timestamp, job_id varchar, primary key (sobject, record_id, field));
create table if not exists {SCHEMA}.crm_jobs (
    job_id varchar primary key, push_id varchar, sobject varchar, created_at timestamp,
    state varchar, is_collected boolean);
create table if not exists {SCHEMA}.conversions_sent (
    conversion_key varchar primary key, platform varchar, status varchar, detail varchar,
    sent_at timestamp, push_id varchar, conversion_type varchar, identity varchar);
create table if not exists {SCHEMA}.push_runs (
    push_id varchar, target varchar, object varchar, mode varchar, started_at timestamp,
    finished_at timestamp, rows_pending bigint, rows_sent bigint, rows_succeeded bigint,
    rows_failed bigint, rows_unprocessed bigint, rows_expired bigint, requests bigint,
    payload_files varchar, error varchar, primary key (push_id, target, object));
create table if not exists {SCHEMA}.push_failures (
    push_id varchar, target varchar, object varchar, record_key varchar, error varchar,
    failed_at timestamp);
"""


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple], replace: bool = False
) -> None:
    """Insert ``rows`` (in the table's column order) in one statement: DuckDB's executemany
    runs one insert per row (30 s for the 18,000 values of a first push at 1,000 accounts)."""
    if not rows:
        return
    import pandas as pd

    columns = [c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_schema = ? "
        "and table_name = ? order by ordinal_position",
        [SCHEMA, table],
    ).fetchall()]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    con.register("_push_rows", frame)
    try:
        verb = "insert or replace" if replace else "insert"
        con.execute(f"{verb} into {SCHEMA}.{table} select * from _push_rows")
    finally:
        con.unregister("_push_rows")


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def new_push_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class PushCount:
    """One line of ``push_runs``."""

    target: str
    object: str
    mode: str
    rows_pending: int = 0
    rows_sent: int = 0
    rows_succeeded: int = 0
    rows_failed: int = 0
    rows_unprocessed: int = 0
    rows_expired: int = 0
    requests: int = 0
    payload_files: list[str] = field(default_factory=list)
    error: str | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)  # (record key, reason)


def record_run(
    con: duckdb.DuckDBPyConnection, push_id: str, started: datetime, count: PushCount
) -> None:
    con.execute(
        f"insert or replace into {SCHEMA}.push_runs values "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            push_id,
            count.target,
            count.object,
            count.mode,
            started,
            _now(),
            count.rows_pending,
            count.rows_sent,
            count.rows_succeeded,
            count.rows_failed,
            count.rows_unprocessed,
            count.rows_expired,
            count.requests,
            json.dumps(count.payload_files),
            count.error,
        ],
    )
    now = _now()
    _insert(
        con,
        "push_failures",
        [(push_id, count.target, count.object, k, e, now) for k, e in count.failures],
    )


def prune_payloads(root: Path, keep_days: int = KEEP_DAYS, now: datetime | None = None) -> None:
    """Remove push folders older than ``keep_days`` (their names start with the push time)."""
    if not root.exists():
        return
    limit = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).strftime("%Y%m%dT%H%M%SZ")
    for folder in root.iterdir():
        if folder.is_dir() and folder.name[:16] < limit:
            shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------------------------- CRM
def _formatted(f: PushField) -> str:
    """The field's value as the Bulk API CSV wants it (text; null stays null)."""
    col = f.column
    if f.kind in ("number", "currency"):
        return f"cast(round(cast({col} as decimal(38, 6)), {f.length or 0}) as varchar)"
    if f.kind == "date":
        return f"strftime(cast({col} as date), '%Y-%m-%d')"
    if f.kind == "datetime":
        return f"strftime(cast({col} as timestamp), '%Y-%m-%dT%H:%M:%S.%gZ')"
    if f.kind == "checkbox":
        return f"case when {col} then 'true' when not {col} then 'false' end"
    return f"nullif(cast({col} as varchar), '')"


def crm_changes(
    con: duckdb.DuckDBPyConnection, obj: PushObject
) -> list[tuple[str, str, str | None]]:
    """``(record id, field API name, new value or None)`` for every value that differs from what
    Salesforce last confirmed (a value never pushed counts as empty)."""
    current = " union all ".join(
        f"select cast({obj.key} as varchar) as record_id, '{f.api_name}' as field, "
        f"{_formatted(f)} as value from marts.{obj.model}"
        for f in obj.fields
    )
    return con.execute(
        f"""
        with current_values as ({current})
        select c.record_id, c.field, c.value
        from current_values as c
        left join {SCHEMA}.crm_values as p
            on p.sobject = ? and p.record_id = c.record_id and p.field = c.field
        where c.record_id is not null
            and ((p.record_id is null and c.value is not null)
                or (p.record_id is not null and p.value is distinct from c.value))
        order by c.record_id, c.field
        """,
        [obj.sobject],
    ).fetchall()


def crm_payloads(
    obj: PushObject, changes: list[tuple[str, str, str | None]], max_records: int
) -> list[str]:
    """CSV files for the Bulk API: ``Id`` and the fields that change, one row per record (an
    empty cell leaves a field as it is, ``#N/A`` empties it), at most ``max_records`` rows each."""
    by_record: dict[str, dict[str, str]] = {}
    for record_id, name, value in changes:
        by_record.setdefault(record_id, {})[name] = NULL_VALUE if value is None else value
    names = [f.api_name for f in obj.fields if any(f.api_name in v for v in by_record.values())]
    records = list(by_record.items())
    out = []
    for start in range(0, len(records), max_records):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Id", *names])
        for record_id, values in records[start : start + max_records]:
            writer.writerow([record_id, *(values.get(n, "") for n in names)])
        out.append(buffer.getvalue())
    return out


def apply_job(
    con: duckdb.DuckDBPyConnection, sobject: str, result: JobResult, count: PushCount
) -> None:
    """Store what Salesforce confirmed, count and keep what it refused or never reached."""
    rows = []
    for row in result.succeeded:
        record_id = row.get("sf__Id") or row.get("Id")
        for name, value in row.items():
            if name.startswith("sf__") or name == "Id" or value == "":
                continue
            # (a value is stored as the warehouse sends it: LF line endings, whatever the
            # results file uses, so a briefing is not sent again for its line endings)
            value = value.replace("\r\n", "\n")
            rows.append((sobject, record_id, name, None if value == NULL_VALUE else value))
    con.execute("begin transaction")
    try:
        now = _now()
        _insert(con, "crm_values", [(*r, now, result.job_id) for r in rows], replace=True)
        con.execute(
            f"update {SCHEMA}.crm_jobs set state = ?, is_collected = true where job_id = ?",
            [result.state, result.job_id],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    count.rows_succeeded += len(result.succeeded)
    count.rows_failed += len(result.failed)
    count.rows_unprocessed += len(result.unprocessed)
    count.failures += [
        (r.get("Id") or r.get("sf__Id") or "", r.get("sf__Error", "")) for r in result.failed
    ]
    reason = f"unprocessed: job {result.job_id} {result.state}: {result.error or ''}".strip()
    count.failures += [(r.get("Id", ""), reason) for r in result.unprocessed]
    if result.state != "JobComplete" and result.error:
        count.error = f"job {result.job_id} {result.state}: {result.error}"


def collect_open_jobs(
    con: duckdb.DuckDBPyConnection, bulk: SalesforceBulk, push_id: str
) -> list[PushCount]:
    """Jobs an earlier run created but never read (it died mid-job): read their results now,
    or abort a job still open (never uploaded or closed; its values are sent again)."""
    out = []
    jobs = con.execute(
        f"select job_id, sobject from {SCHEMA}.crm_jobs where not is_collected order by created_at"
    ).fetchall()
    for job_id, sobject in jobs:
        count = PushCount("salesforce", f"{sobject} (job {job_id})", "live (earlier job)")
        try:
            info = bulk.info(job_id)
        except ConnectorError as exc:
            if "HTTP 404" not in str(exc):
                raise
            # Salesforce deletes jobs after seven days: its results are lost, and its values,
            # never confirmed, are sent again
            con.execute(
                f"update {SCHEMA}.crm_jobs set state = 'Lost', is_collected = true "
                "where job_id = ?",
                [job_id],
            )
            continue
        if info.get("state") == "Open":
            bulk.abort(job_id)
            con.execute(
                f"update {SCHEMA}.crm_jobs set state = 'Aborted', is_collected = true "
                "where job_id = ?",
                [job_id],
            )
            continue
        started = _now()
        apply_job(con, sobject, bulk.collect(job_id), count)
        record_run(con, push_id, started, count)
        out.append(count)
    return out


def push_crm(
    con: duckdb.DuckDBPyConnection,
    bulk: SalesforceBulk | None,
    out_dir: Path,
    push_id: str,
    max_records: int = 10_000,
    log: Callable[[str], None] = print,
) -> list[PushCount]:
    """Push every changed value of the three objects (``bulk`` None: dry-run, files only)."""
    ensure_state(con)
    mode = "dry_run" if bulk is None else "live"
    counts = [] if bulk is None else collect_open_jobs(con, bulk, push_id)
    for obj in PUSH_OBJECTS:
        started = _now()
        count = PushCount("salesforce", obj.sobject, mode)
        changes = crm_changes(con, obj)
        count.rows_pending = len({c[0] for c in changes})
        for n, payload in enumerate(crm_payloads(obj, changes, max_records), start=1):
            path = out_dir / push_id / "salesforce" / f"{obj.sobject}_{n:03d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(payload, encoding="utf-8")
            count.payload_files.append(str(path))
            if bulk is None:
                continue
            # records in the file (a briefing's newlines are inside quoted cells)
            rows = sum(1 for _ in csv.reader(io.StringIO(payload))) - 1

            def created(job_id: str, sobject: str = obj.sobject) -> None:
                con.execute(
                    f"insert into {SCHEMA}.crm_jobs values (?, ?, ?, ?, 'Open', false)",
                    [job_id, push_id, sobject, _now()],
                )

            try:
                result = bulk.run_job(obj.sobject, payload, on_created=created)
            except Exception:
                count.requests = bulk.counter.total
                record_run(con, push_id, started, count)
                raise
            count.rows_sent += rows
            apply_job(con, obj.sobject, result, count)
        if bulk is not None:
            count.requests = bulk.counter.total
        record_run(con, push_id, started, count)
        log(
            f"salesforce {obj.sobject} ({mode}): {count.rows_pending} records to update, "
            f"{count.rows_sent} sent, {count.rows_succeeded} succeeded, {count.rows_failed} "
            f"failed, {count.rows_unprocessed} unprocessed"
        )
        counts.append(count)
    return counts


# ------------------------------------------------------------------------------ conversions
def pending_conversions(con: duckdb.DuckDBPyConnection, platform: str) -> list[Conversion]:
    """The platform's conversions not yet accepted (nor refused as too old). A qualified lead
    is also taken as sent when one with the same click id (or, without one, email) was: its key
    names the person's earliest lead, which a merge of leads in the CRM can change."""
    rows = con.execute(
        f"""
        select conversion_key, platform, conversion_type, occurred_at, value_amount, currency,
            click_id, clicked_at, email
        from marts.ad_conversions as a
        where platform = ?
            and not exists (
                select 1 from {SCHEMA}.conversions_sent as s
                where s.conversion_key = a.conversion_key
            )
            -- (a second, equi-join test: one OR-ed condition made it a nested loop, 22 s at
            -- 50,000 accounts)
            and not exists (
                select 1 from {SCHEMA}.conversions_sent as s
                where a.conversion_type = 'qualified_lead'
                    and s.platform = a.platform
                    and s.conversion_type = a.conversion_type
                    and s.identity = coalesce(a.click_id, a.email)
            )
        order by occurred_at, conversion_key
        """,
        [platform],
    ).fetchall()
    return [Conversion(*row) for row in rows]


def too_old(c: Conversion, now: datetime) -> bool:
    """Past the platform's limit: Google counts from the click, Meta and LinkedIn from the
    conversion."""
    limit = now - timedelta(days=MAX_AGE_DAYS[c.platform])
    moment = c.clicked_at if c.platform == "google_ads" and c.clicked_at else c.occurred_at
    return moment.replace(tzinfo=None) < limit


def _mark(
    con: duckdb.DuckDBPyConnection,
    conversions: dict[str, Conversion],
    outcomes: list[tuple[str, str, str | None]],
    push_id: str,
) -> None:
    """Keep ``(conversion key, status, detail)`` with what identifies the conversion."""
    now = _now()
    _insert(
        con,
        "conversions_sent",
        [
            (
                key,
                conversions[key].platform,
                status,
                detail,
                now,
                push_id,
                conversions[key].conversion_type,
                conversions[key].click_id or conversions[key].email,
            )
            for key, status, detail in outcomes
        ],
        replace=True,
    )


def push_conversions(
    con: duckdb.DuckDBPyConnection,
    platform: str,
    sender: ConversionSender | None,
    targets: dict[str, str],
    out_dir: Path,
    push_id: str,
    now: datetime,
    log: Callable[[str], None] = print,
) -> list[PushCount]:
    """Send the platform's new conversions, one count per conversion type (``sender`` None:
    dry-run, files only). A conversion past the platform's age limit is not sent; live, it is
    marked expired so it is not considered again."""
    ensure_state(con)
    mode = "dry_run" if sender is None else "live"
    now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    pending = pending_conversions(con, platform)
    counts = []
    for conversion_type in ("qualified_lead", "won_deal"):
        started = _now()
        count = PushCount(platform, conversion_type, mode)
        mine = [c for c in pending if c.conversion_type == conversion_type]
        expired = [c for c in mine if too_old(c, now)]
        fresh = [c for c in mine if not too_old(c, now)]
        count.rows_pending, count.rows_expired = len(fresh), len(expired)
        by_key = {c.conversion_key: c for c in mine}
        if sender is not None:
            limit = f"older than {MAX_AGE_DAYS[platform]} days"
            _mark(con, by_key, [(c.conversion_key, "expired", limit) for c in expired], push_id)
        size = BATCH_SIZE[platform]
        for n, start in enumerate(range(0, len(fresh), size), start=1):
            batch = fresh[start : start + size]
            path = out_dir / push_id / platform / f"{conversion_type}_{n:03d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            body = request_body(platform, batch, targets)
            path.write_text(json.dumps(body, indent=1), encoding="utf-8")
            count.payload_files.append(str(path))
            if sender is None:
                continue
            try:
                outcomes: list[Outcome] = sender.send(batch)
            except Exception:
                count.requests = sender.counter.total
                record_run(con, push_id, started, count)
                raise
            count.rows_sent += len(batch)
            sent = [o for o in outcomes if o.status == "sent"]
            failed = [o for o in outcomes if o.status != "sent"]
            _mark(con, by_key, [(o.conversion_key, "sent", o.detail) for o in sent], push_id)
            count.rows_succeeded += len(sent)
            count.rows_failed += len(failed)
            count.failures += [(o.conversion_key, o.detail or "") for o in failed]
        if sender is not None:
            count.requests = sender.counter.total
        record_run(con, push_id, started, count)
        log(
            f"{platform} {conversion_type} ({mode}): {count.rows_pending} to send, "
            f"{count.rows_expired} too old, {count.rows_sent} sent, {count.rows_succeeded} "
            f"accepted, {count.rows_failed} refused"
        )
        counts.append(count)
    return counts


def last_push(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The newest push of each target (for the report and ``rjw run``); none before the first."""
    known = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = 'push_runs'",
        [SCHEMA],
    ).fetchone()[0]
    if not known:
        return []
    cols = [
        "push_id", "target", "object", "mode", "finished_at", "rows_pending", "rows_sent",
        "rows_succeeded", "rows_failed", "rows_unprocessed", "rows_expired", "error",
    ]  # fmt: skip
    rows = con.execute(
        f"""
        select {", ".join(cols)} from {SCHEMA}.push_runs as r
        where push_id = (
            select max(push_id) from {SCHEMA}.push_runs as l where l.target = r.target
        )
        order by target, object
        """
    ).fetchall()
    return [dict(zip(cols, row, strict=True)) for row in rows]
