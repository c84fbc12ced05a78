"""Readers: DuckDB's own CSV and JSON readers turn a landing file into a typed temporary relation
of good rows plus a temporary relation of rejected lines (no Python row loops), ready for
``manifest.commit_batch``: ``csv_reader.parse_csv`` and ``ndjson_reader.parse_ndjson``, sharing
``read_common``; the file's fingerprint comes from ``fingerprint``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.lib.landing.contracts import Contract
from dagster_project.lib.landing.csv_reader import parse_csv
from dagster_project.lib.landing.errors import LandingContractError
from dagster_project.lib.landing.fingerprint import FileFingerprint, fingerprint_file
from dagster_project.lib.landing.manifest import ParsedBatch
from dagster_project.lib.landing.ndjson_reader import parse_ndjson
from dagster_project.lib.landing.read_common import TMP
from dagster_project.lib.sql import ident as _ident

__all__ = [
    "FileFingerprint",
    "drop_temp_relations",
    "fingerprint_file",
    "parse_csv",
    "parse_file",
    "parse_ndjson",
]


def parse_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    source_uri: str,
    fingerprint: FileFingerprint | None = None,
) -> ParsedBatch:
    """Parse a landing file into temporary relations according to its contract's format."""
    fingerprint = fingerprint or fingerprint_file(path)
    parse = {"csv": parse_csv, "ndjson": parse_ndjson}.get(contract.format)
    if parse is None:
        raise LandingContractError(f"{path}: unsupported format {contract.format!r}")
    return parse(con, contract, path, source_uri, fingerprint)


def drop_temp_relations(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the loader's temporary relations (they hold a whole parsed file)."""
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, ?)", [TMP]
    ).fetchall()
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?)",
        [TMP],
    ).fetchall()
    for kind, names in (("VIEW", views), ("TABLE", tables)):
        for (name,) in names:
            con.execute(f"DROP {kind} IF EXISTS temp.main.{_ident(name)}")
