"""The load manifest and the commit: raw tables, ``raw_meta`` bookkeeping, one transaction per
source.

``commit_batch`` is the single way rows enter a raw table: it deletes what an earlier version of
the same source delivered, inserts the rows with their lineage columns, the rejects and a manifest
row, and checks ``rows_loaded + rows_rejected == rows_received``. A crash never leaves half a file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import duckdb

from dagster_project.lib.landing.contracts import (
    LINEAGE_COLUMNS,
    META_SCHEMA,
    RAW_SCHEMAS,
    Contract,
)
from dagster_project.lib.landing.errors import ReconciliationError
from dagster_project.lib.sql import ident as _ident
from dagster_project.lib.sql import qualified as _qualified
from dagster_project.lib.sql import scalar as _scalar

MANIFEST_TABLE = f"{META_SCHEMA}.load_manifest"
REJECTS_TABLE = f"{META_SCHEMA}.load_rejects"
LOAD_ID_SEQUENCE = f"{META_SCHEMA}.load_id_seq"
CURRENT_FILES_VIEW = f"{META_SCHEMA}.current_files"  # the current manifest row of every source

MANIFEST_COLUMNS: dict[str, str] = {
    "load_id": "BIGINT NOT NULL",
    "table_name": "VARCHAR NOT NULL",
    "source_uri": "VARCHAR NOT NULL",
    "size_bytes": "BIGINT",
    "sha256": "VARCHAR NOT NULL",  # of the file as delivered (compressed or not)
    "rows_received": "BIGINT NOT NULL",
    "rows_loaded": "BIGINT NOT NULL",
    "rows_rejected": "BIGINT NOT NULL",
    "extra_columns": "VARCHAR[]",
    # 'loaded' (first version) | 'replaced' (a changed source) | 'duplicate' (content delivered
    # before under another name: nothing loaded, see duplicate_of)
    "status": "VARCHAR NOT NULL",
    "loaded_at": "TIMESTAMPTZ NOT NULL",
    "superseded_by": "BIGINT",  # load_id of the newer version; NULL = current version
    "content_sha256": "VARCHAR",  # of the decompressed content (= sha256 for a plain file)
    "duplicate_of": "BIGINT",  # a duplicate delivery: the load that delivered the content
    # the file's modification time (ns) when it was last seen with this content: a file whose
    # size and mtime are unchanged is skipped without reading it again (as rsync and git do)
    "mtime_ns": "BIGINT",
}

REJECTS_COLUMNS: dict[str, str] = {
    "load_id": "BIGINT NOT NULL",
    "table_name": "VARCHAR NOT NULL",
    "source_uri": "VARCHAR NOT NULL",
    "line": "BIGINT",  # physical line in the file (CSV header = line 1)
    "column_name": "VARCHAR",
    # DuckDB's CSV error types (CAST, MISSING COLUMNS, TOO MANY COLUMNS, UNQUOTED VALUE,
    # LINE SIZE OVER MAXIMUM, INVALID UNICODE), 'MALFORMED JSON', 'STRAY QUOTE', 'CONTROL
    # CHARACTER', 'ROW RULE' (a contract row check) or 'TRUNCATED' (the file ends in the record)
    "error_type": "VARCHAR",
    "reason": "VARCHAR",
    "raw_record": "VARCHAR",
    "rejected_at": "TIMESTAMPTZ NOT NULL",
}


@dataclass
class ParsedBatch:
    """A parsed source ready to be committed by ``commit_batch``.

    ``rows_relation`` is a relation (table or view) with any subset of the contract's columns,
    optionally ``_extra`` (JSON) and ``_source_line`` (BIGINT); the commit adds the other lineage
    columns. ``rejects_relation`` has ``line, column_name, error_type, reason, raw_record`` (one
    row per failing column; several rows may share a line) or is None when nothing was rejected.
    ``rows_received`` must be counted independently of the parse that produced the rows.
    """

    source_uri: str
    sha256: str
    size_bytes: int | None
    rows_relation: str
    rejects_relation: str | None
    rows_received: int
    extra_columns: list[str] = field(default_factory=list)
    content_sha256: str | None = None  # of the decompressed content, when it differs
    # place in the export order (``_source_seq``), e.g. the export time in the file name; None:
    # the load id of the source's first load (its arrival)
    source_seq: int | None = None
    mtime_ns: int | None = None  # the file's modification time (recorded in the manifest)


@dataclass
class FileLoad:
    """Outcome of one source in one run (counts are zero for a skipped, unchanged file)."""

    source_uri: str
    status: Literal["loaded", "replaced", "skipped", "duplicate"]
    load_id: int | None
    sha256: str
    size_bytes: int | None
    rows_received: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)
    duration_seconds: float = 0.0
    duplicate_of: int | None = None  # a duplicate delivery: the load that holds its content


@dataclass
class LoadResult:
    """Outcome of ``load_object`` for this run only.

    ``files_loaded`` (new), ``files_replaced`` (changed), ``files_skipped`` (unchanged) and
    ``files_duplicate`` (content delivered before under another name, nothing loaded) add up to
    ``files_seen``; ``extra_columns`` maps each loaded file with unknown columns to their names.
    """

    table: str
    files_seen: int = 0
    files_loaded: int = 0
    files_skipped: int = 0
    files_replaced: int = 0
    files_duplicate: int = 0
    rows_received: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    extra_columns: dict[str, list[str]] = field(default_factory=dict)
    files: list[FileLoad] = field(default_factory=list)
    duration_seconds: float = 0.0

    def add(self, detail: FileLoad) -> None:
        self.files.append(detail)
        self.files_seen += 1
        if detail.status == "skipped":
            self.files_skipped += 1
            return
        if detail.status == "duplicate":
            self.files_duplicate += 1
            return
        if detail.status == "replaced":
            self.files_replaced += 1
        else:
            self.files_loaded += 1
        self.rows_received += detail.rows_received
        self.rows_loaded += detail.rows_loaded
        self.rows_rejected += detail.rows_rejected
        if detail.extra_columns:
            self.extra_columns[detail.source_uri] = list(detail.extra_columns)


# ---------------------------------------------------------------------------------------- tables
def ensure_raw_tables(con: duckdb.DuckDBPyConnection, contracts: Iterable[Contract]) -> None:
    """Create the raw schemas, each contract's raw table and the ``raw_meta`` bookkeeping.

    ``raw_meta``: ``load_manifest``, ``load_rejects``, the ``load_id_seq`` sequence and the view
    ``current_files`` (manifest rows not superseded by a newer load of the same source).

    Idempotent. A raw table that already exists only gains the contract columns it lacks, so adding
    an (optional) column to a contract needs no migration; nothing is ever dropped or retyped.
    """
    for schema in (*RAW_SCHEMAS.values(), META_SCHEMA):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    con.execute(f"CREATE SEQUENCE IF NOT EXISTS {_qualified(LOAD_ID_SEQUENCE)} START 1")
    for table, columns in ((MANIFEST_TABLE, MANIFEST_COLUMNS), (REJECTS_TABLE, REJECTS_COLUMNS)):
        ddl = ", ".join(f"{_ident(c)} {t}" for c, t in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {_qualified(table)} ({ddl})")
        _add_missing_columns(con, table, columns)
    con.execute(
        f"CREATE VIEW IF NOT EXISTS {_qualified(CURRENT_FILES_VIEW)} AS SELECT * "
        f"FROM {_qualified(MANIFEST_TABLE)} WHERE superseded_by IS NULL"
    )
    for contract in contracts:
        wanted = {c.name: c.type for c in contract.columns} | LINEAGE_COLUMNS
        ddl = ", ".join(f"{_ident(c)} {t}" for c, t in wanted.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {_qualified(contract.table)} ({ddl})")
        _add_missing_columns(con, contract.table, wanted)


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str, wanted: dict) -> None:
    """Add the columns a table created by an older version lacks (nullable, never retyped)."""
    schema, _, name = table.partition(".")
    existing = {
        r[0].lower()
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, type_ in wanted.items():
        if column.lower() not in existing:
            type_ = type_.replace(" NOT NULL", "")
            con.execute(f"ALTER TABLE {_qualified(table)} ADD COLUMN {_ident(column)} {type_}")


# ------------------------------------------------------------------------------------- manifest
def current_load(
    con: duckdb.DuckDBPyConnection, table: str, source_uri: str
) -> tuple[int, str] | None:
    """``(load_id, sha256)`` of the current manifest row of a source, or None if never loaded."""
    row = current_load_stat(con, table, source_uri)
    return None if row is None else (row[0], row[1])


def current_load_stat(
    con: duckdb.DuckDBPyConnection, table: str, source_uri: str
) -> tuple[int, str, int | None, int | None] | None:
    """``(load_id, sha256, size_bytes, mtime_ns)`` of the current manifest row of a source."""
    row = con.execute(
        f"SELECT load_id, sha256, size_bytes, mtime_ns FROM {_qualified(MANIFEST_TABLE)} "
        "WHERE table_name = ? AND source_uri = ? AND superseded_by IS NULL "
        "ORDER BY load_id DESC LIMIT 1",
        [table, source_uri],
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), row[2], row[3])


def record_mtime(con: duckdb.DuckDBPyConnection, load_id: int, mtime_ns: int) -> None:
    """Remember the modification time of a file found unchanged by its checksum (a file copied
    or touched again), so the next run skips it without reading it."""
    con.execute(
        f"UPDATE {_qualified(MANIFEST_TABLE)} SET mtime_ns = ? WHERE load_id = ?",
        [mtime_ns, load_id],
    )


# ---------------------------------------------------------------------------------------- commit
def commit_batch(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: ParsedBatch,
    *,
    loaded_at: datetime | None = None,
    before_commit: Callable[[duckdb.DuckDBPyConnection, int], None] | None = None,
) -> FileLoad:
    """Commit a parsed batch into the contract's raw table, the rejects and the manifest.

    One transaction: if the source URI was loaded before, its raw rows and rejects are deleted and
    its manifest row is marked ``superseded_by`` the new load (status 'replaced'); then the rows
    (with ``_source_uri``, ``_load_id``, ``_source_seq``, ``_loaded_at``), the rejects and the
    manifest row are inserted. ``_source_seq`` is ``batch.source_seq`` (the export time a file
    name carries) or else the load id of the source's first load (a changed file keeps its
    place). Raises ``ReconciliationError`` (and rolls back) unless loaded + rejected == received.
    Does not skip unchanged sources: callers decide that with ``current_load``.
    ``before_commit(con, load_id)`` runs inside the transaction (an API extract writes its
    cursor there, so a page and the state after it commit together or not at all).
    """
    started = time.perf_counter()
    loaded_at = loaded_at or datetime.now(UTC)
    table = _qualified(contract.table)
    con.execute("BEGIN TRANSACTION")
    try:
        previous = current_load(con, contract.table, batch.source_uri)
        load_id = int(_scalar(con, f"SELECT nextval('{LOAD_ID_SEQUENCE}')"))
        # a changed file keeps the place in the export order it arrived at
        first_load = _scalar(
            con,
            f"SELECT min(load_id) FROM {_qualified(MANIFEST_TABLE)} "
            "WHERE table_name = ? AND source_uri = ?",
            [contract.table, batch.source_uri],
        )
        source_seq = batch.source_seq
        if source_seq is None:
            source_seq = int(first_load) if first_load is not None else load_id
        if previous is not None:
            con.execute(f"DELETE FROM {table} WHERE _source_uri = ?", [batch.source_uri])
            con.execute(
                f"DELETE FROM {_qualified(REJECTS_TABLE)} WHERE table_name = ? AND source_uri = ?",
                [contract.table, batch.source_uri],
            )
            con.execute(
                f"UPDATE {_qualified(MANIFEST_TABLE)} SET superseded_by = ? "
                "WHERE table_name = ? AND source_uri = ? AND superseded_by IS NULL",
                [load_id, contract.table, batch.source_uri],
            )
        rows_loaded = int(
            _scalar(
                con,
                f"INSERT INTO {table} BY NAME SELECT *, ? AS _source_uri, ? AS _load_id, "
                f"? AS _source_seq, ? AS _loaded_at FROM {batch.rows_relation}",
                [batch.source_uri, load_id, source_seq, loaded_at],
            )
        )
        rows_rejected = 0
        if batch.rejects_relation is not None:
            rows_rejected = int(
                _scalar(con, f"SELECT count(DISTINCT line) FROM {batch.rejects_relation}")
            )
            con.execute(
                f"INSERT INTO {_qualified(REJECTS_TABLE)} BY NAME "
                "SELECT ? AS load_id, ? AS table_name, ? AS source_uri, line, column_name, "
                "error_type, reason, raw_record, ? AS rejected_at "
                f"FROM {batch.rejects_relation} ORDER BY line",
                [load_id, contract.table, batch.source_uri, loaded_at],
            )
        if rows_loaded + rows_rejected != batch.rows_received:
            raise ReconciliationError(
                f"{batch.source_uri}: {rows_loaded} rows loaded + {rows_rejected} rejected != "
                f"{batch.rows_received} received for {contract.table}; nothing committed"
            )
        status: Literal["loaded", "replaced"] = "replaced" if previous else "loaded"
        con.execute(
            f"INSERT INTO {_qualified(MANIFEST_TABLE)} BY NAME SELECT ? AS load_id, "
            "? AS table_name, ? AS source_uri, ? AS size_bytes, ? AS sha256, ? AS rows_received, "
            "? AS rows_loaded, ? AS rows_rejected, ?::VARCHAR[] AS extra_columns, ? AS status, "
            "? AS loaded_at, ? AS content_sha256, ? AS mtime_ns",
            [
                load_id,
                contract.table,
                batch.source_uri,
                batch.size_bytes,
                batch.sha256,
                batch.rows_received,
                rows_loaded,
                rows_rejected,
                list(batch.extra_columns),
                status,
                loaded_at,
                batch.content_sha256 or batch.sha256,
                batch.mtime_ns,
            ],
        )
        if before_commit is not None:
            before_commit(con, load_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return FileLoad(
        source_uri=batch.source_uri,
        status=status,
        load_id=load_id,
        sha256=batch.sha256,
        size_bytes=batch.size_bytes,
        rows_received=batch.rows_received,
        rows_loaded=rows_loaded,
        rows_rejected=rows_rejected,
        extra_columns=list(batch.extra_columns),
        duration_seconds=time.perf_counter() - started,
    )


# ------------------------------------------------------------------------------------ duplicates
def delivered_before(
    con: duckdb.DuckDBPyConnection, table: str, content_sha256: str, source_uri: str
) -> tuple[int, str] | None:
    """``(load_id, source_uri)`` of the earliest load of another source that delivered the same
    content (by checksum, current or superseded, with at least one row), or None."""
    row = con.execute(
        f"SELECT load_id, source_uri FROM {_qualified(MANIFEST_TABLE)} "
        "WHERE table_name = ? AND source_uri <> ? AND status <> 'duplicate' "
        "AND rows_received > 0 AND coalesce(content_sha256, sha256) = ? "
        "ORDER BY load_id LIMIT 1",
        [table, source_uri, content_sha256],
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def record_duplicate(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    source_uri: str,
    *,
    sha256: str,
    content_sha256: str,
    size_bytes: int | None,
    original_load_id: int,
    loaded_at: datetime | None = None,
    mtime_ns: int | None = None,
) -> FileLoad:
    """Record a source whose content an earlier load delivered already (an old export sent again
    under a new name): a manifest row with status 'duplicate', no rows, ``duplicate_of`` the
    earlier load. Loading it would let an old copy undo later corrections."""
    loaded_at = loaded_at or datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        previous = current_load(con, contract.table, source_uri)
        load_id = int(_scalar(con, f"SELECT nextval('{LOAD_ID_SEQUENCE}')"))
        if previous is not None:  # (a changed file whose new content is an older delivery)
            con.execute(
                f"DELETE FROM {_qualified(contract.table)} WHERE _source_uri = ?", [source_uri]
            )
            con.execute(
                f"DELETE FROM {_qualified(REJECTS_TABLE)} WHERE table_name = ? AND source_uri = ?",
                [contract.table, source_uri],
            )
            con.execute(
                f"UPDATE {_qualified(MANIFEST_TABLE)} SET superseded_by = ? "
                "WHERE table_name = ? AND source_uri = ? AND superseded_by IS NULL",
                [load_id, contract.table, source_uri],
            )
        con.execute(
            f"INSERT INTO {_qualified(MANIFEST_TABLE)} BY NAME SELECT ? AS load_id, "
            "? AS table_name, ? AS source_uri, ? AS size_bytes, ? AS sha256, 0 AS rows_received, "
            "0 AS rows_loaded, 0 AS rows_rejected, []::VARCHAR[] AS extra_columns, "
            "'duplicate' AS status, ? AS loaded_at, ? AS content_sha256, ? AS duplicate_of, "
            "? AS mtime_ns",
            [
                load_id,
                contract.table,
                source_uri,
                size_bytes,
                sha256,
                loaded_at,
                content_sha256,
                original_load_id,
                mtime_ns,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return FileLoad(
        source_uri=source_uri,
        status="duplicate",
        load_id=load_id,
        sha256=sha256,
        size_bytes=size_bytes,
        duplicate_of=original_load_id,
    )
