"""API batches into the raw tables, through the landing contracts and the loader's commit.

A connector yields ``ApiBatch``es: the records one request (or one snapshot of a list, or one day
of metrics) delivered, already in the contract's column names, and the stream's incremental state
once they are stored. ``commit_batches`` writes each batch's records as NDJSON, parses them with
the NDJSON reader of the landing contracts (types, whole numbers, control characters, row rules,
unknown keys kept in ``_extra``, rejects with the record's position in the batch) and commits them
with ``manifest.commit_batch``; the stream's state is written in that same transaction. So the
state lives in one place, the warehouse (``raw_meta.api_state``), and a crash between two pages
loses nothing and loads nothing twice: the next run starts after the last committed page.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.connectors.http import ConnectorError, Redactor
from dagster_project.lib.landing.contracts import META_SCHEMA, Contract
from dagster_project.lib.landing.fingerprint import fingerprint_file
from dagster_project.lib.landing.manifest import (
    FileLoad,
    LoadResult,
    commit_batch,
    ensure_raw_tables,
)
from dagster_project.lib.landing.ndjson_reader import parse_ndjson
from dagster_project.lib.landing.readers import drop_temp_relations
from dagster_project.lib.sql import qualified

log = logging.getLogger(__name__)

STATE_TABLE = f"{META_SCHEMA}.api_state"


@dataclass
class ApiBatch:
    """What one request (or one snapshot) delivered.

    ``request`` is the request's URL without credentials; it becomes the rows' ``_source_uri``.
    Each stored batch is a load of its own, its URI the request plus the fetch time. A
    ``snapshot`` batch is the whole of something fetched again each night (a campaign list): when
    it equals the stream's last snapshot (by checksum) it loads nothing; a record that drops out
    of it keeps its last version, as with files. ``state`` is the stream's state once the batch is
    stored (None: unchanged)."""

    request: str
    records: list[dict[str, Any]]
    state: dict[str, Any] | None = None
    snapshot: bool = False


@dataclass
class StreamResult:
    """One stream's run: the loads (as the loader reports files) and the requests made."""

    load: LoadResult
    requests: int = 0
    batches: int = 0
    extra_fields: dict[str, list[str]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------- state
def ensure_state_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {qualified(STATE_TABLE)} (stream VARCHAR PRIMARY KEY, "
        "state JSON NOT NULL, load_id BIGINT, updated_at TIMESTAMPTZ NOT NULL)"
    )


def read_state(con: duckdb.DuckDBPyConnection, stream: str) -> dict[str, Any]:
    """The stream's incremental state ({} before its first run)."""
    ensure_state_table(con)
    row = con.execute(
        f"SELECT state FROM {qualified(STATE_TABLE)} WHERE stream = ?", [stream]
    ).fetchone()
    return json.loads(row[0]) if row else {}


def write_state(
    con: duckdb.DuckDBPyConnection, stream: str, state: dict[str, Any], load_id: int | None
) -> None:
    """Store a stream's state (inside the caller's transaction, if one is open)."""
    con.execute(
        f"INSERT OR REPLACE INTO {qualified(STATE_TABLE)} VALUES (?, ?, ?, ?)",
        [stream, json.dumps(state, sort_keys=True), load_id, datetime.now(UTC)],
    )


# ---------------------------------------------------------------------------------------- commit
def _write_ndjson(records: list[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def commit_batches(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    stream: str,
    batches: Callable[[dict[str, Any]], Iterable[ApiBatch]],
    work_dir: Path,
    redact: Redactor,
) -> StreamResult:
    """Run one stream from its stored state and commit every batch it yields (see module doc).

    ``batches(state)`` is the connector's generator for the stream. A failing request or a batch
    the contract refuses stops the stream with a ``ConnectorError`` (redacted); the batches
    committed before it stay, with their state, so the next run resumes after them.
    """
    started = time.perf_counter()
    con.execute("SET TimeZone = 'UTC'")
    ensure_raw_tables(con, [contract])
    ensure_state_table(con)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"{contract.system}_{contract.object}.ndjson"
    state = read_state(con, stream)
    result = StreamResult(load=LoadResult(table=contract.table), state=state)
    iterator: Iterator[ApiBatch] = iter(batches(dict(state)))
    while True:
        try:
            batch = next(iterator)
        except StopIteration:
            break
        except ConnectorError as exc:
            raise ConnectorError(redact(str(exc)), exc.retryable) from None
        except Exception as exc:  # a request that failed after its retries, a broken answer
            status = getattr(getattr(exc, "response", None), "status_code", None) or 0
            raise ConnectorError(
                redact(f"{stream} -> {contract.table}: {exc}"),
                retryable=not (400 <= status < 500 and status != 429),
            ) from None
        result.batches += 1
        try:
            detail, after = _commit(con, contract, stream, batch, path, redact, result.state)
        except Exception as exc:
            raise ConnectorError(
                redact(f"{stream} -> {contract.table}, {batch.request}: {exc}")
            ) from None
        finally:
            drop_temp_relations(con)
            path.unlink(missing_ok=True)
        if after is not None:
            result.state = after
        if detail is not None:
            result.load.add(detail)
            if detail.extra_columns:
                result.extra_fields[detail.source_uri] = list(detail.extra_columns)
    result.load.duration_seconds = time.perf_counter() - started
    return result


def _commit(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    stream: str,
    batch: ApiBatch,
    path: Path,
    redact: Redactor,
    state: dict[str, Any],
) -> tuple[FileLoad | None, dict[str, Any] | None]:
    """Store one batch; returns what it loaded (None: nothing) and the stream's new state."""
    fetched = datetime.now(UTC)
    after = batch.state
    if not batch.records:  # nothing delivered: only the state moves (e.g. an empty last page)
        if after is not None:
            write_state(con, stream, after, None)
        return None, after
    _write_ndjson(batch.records, path)
    fp = fingerprint_file(path)
    uri = redact.url(batch.request)
    if batch.snapshot:
        if state.get("snapshot_sha256") == fp.sha256:  # the same as the last one: not loaded
            if after is not None:
                write_state(con, stream, after | {"snapshot_sha256": fp.sha256}, None)
            return FileLoad(uri, "skipped", None, fp.sha256, fp.size_bytes), after
        after = (state if after is None else after) | {"snapshot_sha256": fp.sha256}
    uri = f"{uri}#fetched={fetched.strftime('%Y%m%dT%H%M%S.%fZ')}"
    parsed = parse_ndjson(con, contract, path, uri, fp)
    # the export order of an API delivery is its fetch time, in the unit of a file's export
    # time (epoch seconds), so "the latest export wins" also between files and API pages
    parsed.source_seq = int(fetched.timestamp())

    def save_state(c: duckdb.DuckDBPyConnection, load_id: int) -> None:
        if after is not None:
            write_state(c, stream, after, load_id)

    detail = commit_batch(con, contract, parsed, loaded_at=fetched, before_commit=save_state)
    if detail.rows_rejected:
        log.warning(
            "%s: %d of %d records of %s rejected (raw_meta.load_rejects)",
            contract.table,
            detail.rows_rejected,
            detail.rows_received,
            uri,
        )
    return detail, after


# ------------------------------------------------------------------------------------- projection
def project(
    record: dict[str, Any], paths: dict[str, str], drop: Iterable[str] = ()
) -> dict[str, Any]:
    """A record in the contract's column names.

    ``paths`` maps a contract column to the dotted path of its value in the API's record
    (``"metrics.costMicros"``); a column not in ``paths`` is read from the key of its own name.
    Fields at ``drop`` are the API's envelope (Salesforce ``attributes``, Google Ads
    ``resourceName``). Every other field the record holds is kept (an object with what was not
    taken from it), so it lands in ``_extra`` and is reported: nothing the API sends is lost.
    """
    rest = dict(record)  # (copied only along the paths taken: records are large and many)
    out: dict[str, Any] = {}
    for column, dotted in paths.items():
        out[column] = _take(rest, dotted.split("."))
    if drop:
        rest = _without(rest, frozenset(drop))
    for key, value in rest.items():  # what is left: an object keeps what was not taken from it
        # (a field named like a column that is read from elsewhere is kept under another name)
        out[f"{key}@api" if key in out else key] = value
    return out


def _take(obj: dict[str, Any], keys: list[str]) -> Any:
    """Pop the value at ``keys`` from ``obj`` (a private copy), copying the objects on the way;
    an object left empty by it goes too."""
    head, *tail = keys
    if head not in obj:
        return None
    if not tail:
        return obj.pop(head)
    child = obj[head]
    if not isinstance(child, dict):
        return None
    child = obj[head] = dict(child)
    value = _take(child, tail)
    if not child:
        del obj[head]
    return value


def _without(obj: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """``obj`` without the keys ``names`` at any depth; an object that held only such keys goes
    too (an object that was empty to begin with stays)."""
    out = {}
    for key, value in obj.items():
        if key in names:
            continue
        if isinstance(value, dict) and value:
            value = _without(value, names)
            if not value:
                continue
        out[key] = value
    return out
