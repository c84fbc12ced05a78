"""The raw tables as Parquet, one partition per load, for engines that read files (Spark).

DuckDB stays the single place that enforces the landing contracts and keeps rejects; this copies
what it committed. ``sync`` makes the Parquet folder equal the raw tables:

* ``<root>/<schema>/<table>/_load_id=<load id>/data.parquet`` for every load that has rows in
  ``<schema>.<table>`` (the raw objects; ``raw_meta.load_rejects`` as ``load_id=<load id>``,
  its column's name);
* a partition whose load is gone (its file was replaced by a changed one, so the loader deleted
  its rows) is removed: a changed file replaces its partition;
* ``raw_meta/load_manifest/data.parquet``: the whole manifest (a few rows per file; its
  ``superseded_by`` changes when a file is replaced, so it is rewritten, not partitioned).

A load's rows never change after its commit, so a partition already present is not written
again: a sync after one committed file writes one file per table it touched. A present
partition is written again when its file does not hold the load's row count or the table's
columns (a warehouse started afresh reuses load ids; a contract gained a column). Each file is
written to a temporary folder and renamed into place, so a reader never sees half a partition
and a crash between the commit and the copy is mended by the next sync. JSON columns are written
as text (Spark has no JSON type), every other type as DuckDB writes it.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PARTITION = "_load_id"
MANIFEST = ("raw_meta", "load_manifest")
REJECTS = ("raw_meta", "load_rejects")
RAW_SCHEMAS = ("raw_crm", "raw_ads", "raw_billing")


@dataclass
class MirrorResult:
    """What one sync wrote and removed (partitions as ``schema.table/_load_id=N``)."""

    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Every raw object table, then the rejects (the manifest is handled apart)."""
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name IN "
        f"({', '.join(repr(s) for s in RAW_SCHEMAS)}) ORDER BY 1, 2"
    ).fetchall()
    tables = [(str(s), str(t)) for s, t in rows]
    if _exists(con, *REJECTS):
        tables.append(REJECTS)
    return tables


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _select_list(con: duckdb.DuckDBPyConnection, schema: str, table: str, skip: str) -> str:
    """The table's columns, JSON as text, without ``skip`` (the partition column)."""
    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
        "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    parts = []
    for name, data_type in columns:
        if name == skip:
            continue
        quoted = '"' + str(name).replace('"', '""') + '"'
        parts.append(f"CAST({quoted} AS VARCHAR) AS {quoted}" if data_type == "JSON" else quoted)
    return ", ".join(parts)


def _copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, params: list) -> None:
    """``query`` into ``target/data.parquet``, made in a temporary folder and renamed in."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        file = (staging / "data.parquet").as_posix().replace("'", "''")
        con.execute(f"COPY ({query}) TO '{file}' (FORMAT parquet)", params)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def _stale(
    con: duckdb.DuckDBPyConnection,
    present: dict[int, Path],
    counts: dict[int, int],
    columns: list[str],
) -> set[int]:
    """The present partitions whose file does not hold the load's rows and the columns."""
    files = {f"{folder.as_posix()}/data.parquet": load for load, folder in present.items()}
    readable = [f for f in files if Path(f).exists()]
    stale = {files[f] for f in files if f not in readable}
    if readable:
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in readable)
        rows = dict(
            con.execute(
                f"SELECT file_name, num_rows FROM parquet_file_metadata([{listed}])"
            ).fetchall()
        )
        names: dict[str, list[str]] = {}
        for file, name in con.execute(
            f"SELECT file_name, name FROM parquet_schema([{listed}]) WHERE name <> 'duckdb_schema'"
        ).fetchall():
            names.setdefault(file, []).append(name)
        for file in readable:
            load = files[file]
            if rows.get(file) != counts.get(load) or names.get(file) != columns:
                stale.add(load)
    return stale


def _load_column(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    return "load_id" if (schema, table) == REJECTS else PARTITION


def sync(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    tables: list[tuple[str, str]] | None = None,
) -> MirrorResult:
    """Make ``root`` hold every load of ``tables`` (default: all raw tables) as a Parquet
    partition and nothing else, and rewrite the manifest. Idempotent; cheap when nothing is
    new (a count per load, and the Parquet files' footers)."""
    started = time.perf_counter()
    root = Path(root)
    result = MirrorResult()
    for schema, table in tables if tables is not None else raw_tables(con):
        if not _exists(con, schema, table):
            continue
        column = _load_column(con, schema, table)
        folder = root / schema / table
        counts = {
            int(load): int(rows)
            for load, rows in con.execute(
                f'SELECT "{column}", count(*) FROM "{schema}"."{table}" '
                f'WHERE "{column}" IS NOT NULL GROUP BY 1'
            ).fetchall()
        }
        loads = set(counts)
        present = {}
        if folder.exists():
            for child in folder.iterdir():
                if child.name.startswith(f"{column}=") and child.is_dir():
                    present[int(child.name.split("=", 1)[1])] = child
                elif child.name.startswith(".tmp-"):  # a copy a crash left behind
                    shutil.rmtree(child, ignore_errors=True)
        columns = [
            str(name)
            for (name,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                "current_database() AND schema_name = ? AND table_name = ? "
                "AND column_name <> ? ORDER BY column_index",
                [schema, table, column],
            ).fetchall()
        ]
        stale = _stale(con, {k: v for k, v in present.items() if k in loads}, counts, columns)
        for load_id in sorted((loads - present.keys()) | stale):
            _copy(
                con,
                f'SELECT {_select_list(con, schema, table, column)} FROM "{schema}"."{table}" '
                f'WHERE "{column}" = ?',
                folder / f"{column}={load_id}",
                [load_id],
            )
            result.written.append(f"{schema}.{table}/{column}={load_id}")
        for load_id in sorted(present.keys() - loads):
            shutil.rmtree(present[load_id])
            result.removed.append(f"{schema}.{table}/{column}={load_id}")
    if _exists(con, *MANIFEST):
        schema, table = MANIFEST
        for leftover in (root / schema).glob(".tmp-*"):  # a manifest copy a crash left behind
            shutil.rmtree(leftover, ignore_errors=True)
        _copy(
            con,
            f'SELECT {_select_list(con, schema, table, "")} FROM "{schema}"."{table}"',
            root / schema / table,
            [],
        )
    result.seconds = time.perf_counter() - started
    return result
