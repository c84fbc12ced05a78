"""Load landing files into the DuckDB raw tables, incrementally and idempotently.

Each file named by a landing contract (``contracts.py``) is loaded in two steps:

1. **parse** (``parse_file``): DuckDB's own readers turn the file into a typed temporary relation of
   good rows plus a temporary relation of rejected lines. No Python row loops: millions of rows
   load in seconds.
2. **commit** (``commit_batch``): one transaction deletes what an earlier version of the same
   source delivered, inserts the rows with their lineage columns, the rejects and a manifest row.
   A crash never leaves half a file behind.

The split lets a later connector (e.g. a live Stripe API page) land into the same raw tables: it
builds its own temporary relations and calls ``commit_batch`` with a URI such as
``stripe-api://customers?starting_after=cus_123``.

Bookkeeping lives in ``raw_meta``: ``load_manifest`` records every committed source (size, sha256,
row counts, extra columns, status; ``superseded_by`` is NULL for the current version of a source)
and ``load_rejects`` keeps every line that could not be loaded with its line, column and reason.
Nothing is dropped silently: ``rows_loaded + rows_rejected == rows_received`` is checked per file,
with ``rows_received`` counted independently of the typed parse.

Content delivered before under another name (an old export sent again) is recorded as a
'duplicate' and loads nothing; ``_source_seq`` is the export time in the file name where it has
one, so "the latest export wins" never favours an old copy that arrives late.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from dagster_project.lib.landing.contracts import Contract
from dagster_project.lib.landing.fingerprint import export_seq
from dagster_project.lib.landing.manifest import (
    FileLoad,
    LoadResult,
    commit_batch,
    current_load_stat,
    delivered_before,
    ensure_raw_tables,
    record_duplicate,
    record_mtime,
)
from dagster_project.lib.landing.readers import drop_temp_relations, fingerprint_file, parse_file

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------ load
def landing_files(contract: Contract, landing_root: Path) -> list[Path]:
    """Files under the contract's landing folder with one of its extensions, plain or gzipped
    (``.csv.gz``, ``.json.gz``), by relative path."""
    folder = Path(landing_root) / contract.folder
    if not folder.is_dir():
        return []
    extensions = tuple(e.lower() for e in contract.accepted_extensions)
    files = [p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(extensions)]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def load_object(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    landing_root: Path,
    after_commit: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
) -> LoadResult:
    """Load every new or changed landing file of one contract into its raw table.

    Files are taken in sorted name order. An unchanged file (same sha256 as the current manifest
    row of its URI, the path relative to ``landing_root``) is skipped, so a re-run loads nothing;
    one whose size and modification time are those recorded is skipped without being read;
    a changed file replaces what its earlier version loaded; a file whose content another file
    delivered before is recorded as a duplicate and loads nothing. Each file commits on its own:
    a ``LandingContractError`` stops the run at that file, files before it stay loaded.
    ``after_commit(con)`` runs after each file's commit (the raw tables' Parquet copy).
    """
    started = time.perf_counter()
    landing_root = Path(landing_root)
    con.execute("SET TimeZone = 'UTC'")
    ensure_raw_tables(con, [contract])
    result = LoadResult(table=contract.table)
    for path in landing_files(contract, landing_root):
        file_started = time.perf_counter()
        uri = path.relative_to(landing_root).as_posix()
        stat = path.stat()
        current = current_load_stat(con, contract.table, uri)
        if current is not None and (current[2], current[3]) == (stat.st_size, stat.st_mtime_ns):
            # same size and modification time as when it was loaded: not read again
            detail = FileLoad(uri, "skipped", current[0], current[1], stat.st_size)
            detail.duration_seconds = time.perf_counter() - file_started
            result.add(detail)
            continue
        fingerprint = fingerprint_file(path)
        earlier = None
        if current is None or current[1] != fingerprint.sha256:
            earlier = delivered_before(con, contract.table, fingerprint.content_sha256, uri)
        if current is not None and current[1] == fingerprint.sha256:
            record_mtime(con, current[0], stat.st_mtime_ns)
            detail = FileLoad(
                uri, "skipped", current[0], fingerprint.sha256, fingerprint.size_bytes
            )
        elif earlier is not None:
            log.warning(
                "%s %s: the same content as %s (load %d), delivered again: nothing loaded",
                contract.table,
                uri,
                earlier[1],
                earlier[0],
            )
            detail = record_duplicate(
                con,
                contract,
                uri,
                sha256=fingerprint.sha256,
                content_sha256=fingerprint.content_sha256,
                size_bytes=fingerprint.size_bytes,
                original_load_id=earlier[0],
                mtime_ns=stat.st_mtime_ns,
            )
        else:
            try:
                batch = parse_file(con, contract, path, uri, fingerprint)
                batch.source_seq = export_seq(path.name)
                batch.mtime_ns = stat.st_mtime_ns
                detail = commit_batch(con, contract, batch)
            except duckdb.Error as exc:  # name the file in engine errors too
                raise RuntimeError(f"{path}: loading into {contract.table} failed: {exc}") from exc
            finally:
                drop_temp_relations(con)
            if after_commit is not None:
                after_commit(con)
        detail.duration_seconds = time.perf_counter() - file_started
        log.info(
            "%s %s: %s, %d received, %d loaded, %d rejected%s",
            contract.table,
            uri,
            detail.status,
            detail.rows_received,
            detail.rows_loaded,
            detail.rows_rejected,
            f", extra columns {detail.extra_columns}" if detail.extra_columns else "",
        )
        result.add(detail)
    result.duration_seconds = time.perf_counter() - started
    return result
