"""Quality findings, evaluations and the bookkeeping of validated loads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import duckdb

from dagster_project.lib.landing.contracts import META_SCHEMA
from dagster_project.lib.quality.suite import (
    Suite,
)

CHUNK_ROWS = 1_000_000  # rows per pandas chunk handed to GX
EXAMPLES = 5  # example values kept per failing expectation
ACCEPTED_TABLE = f"{META_SCHEMA}.quality_accepted_loads"

Level = Literal["ERROR", "WARN"]
LEVEL: dict[str, Level] = {"critical": "ERROR", "warning": "WARN"}


@dataclass
class Finding:
    """The outcome of one expectation (GX) or one SQL rule on one raw table."""

    check: str
    table: str
    expectation: str
    column: str | None
    severity: Level
    passed: bool
    failing_rows: int = 0
    rows_checked: int = 0
    examples: list[str] = field(default_factory=list)
    message: str = ""
    notes: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PendingLoad:
    """A current load (one file version) not yet accepted by the quality gate."""

    load_id: int
    source_uri: str
    rows_received: int
    rows_loaded: int
    rows_rejected: int
    extra_columns: list[str]
    status: str
    size_bytes: int | None


@dataclass
class Evaluation:
    """Everything one quality run found on one raw table."""

    table: str
    findings: list[Finding]
    loads: list[PendingLoad]
    rows_validated: int
    seconds: dict[str, float]
    stats: dict[str, Any] = field(default_factory=dict)

    def for_check(self, check: str) -> list[Finding]:
        return [f for f in self.findings if f.check == check]

    @property
    def blocking_failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed and f.severity == "ERROR"]


def _short(value: Any, width: int = 80) -> str:
    missing = value is None or (isinstance(value, float) and value != value)  # None, NaN
    text = "NULL" if missing else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _where(uri: Any, line: Any) -> str:
    return f"{uri}:{line}" if uri is not None else "(unknown source)"


def ensure_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    """``raw_meta.quality_accepted_loads``: the loads that passed every blocking check."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {ACCEPTED_TABLE} (load_id BIGINT NOT NULL, "
        "table_name VARCHAR NOT NULL, suite_fingerprint VARCHAR NOT NULL, "
        "run_id VARCHAR, accepted_at TIMESTAMPTZ NOT NULL)"
    )


def pending_loads(con: duckdb.DuckDBPyConnection, suite: Suite) -> list[PendingLoad]:
    """Current loads of the table that this suite version has not accepted yet."""
    rows = con.execute(
        f"""
        select load_id, source_uri, rows_received, rows_loaded, rows_rejected,
               coalesce(extra_columns, []), status, size_bytes
        from {META_SCHEMA}.current_files as f
        where table_name = ?
          and not exists (
              select 1 from {ACCEPTED_TABLE} as a
              where a.load_id = f.load_id and a.suite_fingerprint = ?
          )
        order by load_id
        """,
        [suite.table, suite.fingerprint],
    ).fetchall()
    return [PendingLoad(*r[:5], list(r[5]), r[6], r[7]) for r in rows]


def accept_loads(
    con: duckdb.DuckDBPyConnection, suite: Suite, loads: list[PendingLoad], run_id: str | None
) -> None:
    """Mark loads as validated for this suite version: later runs skip their rows."""
    if not loads:
        return
    now = datetime.now(UTC)
    con.executemany(
        f"INSERT INTO {ACCEPTED_TABLE} VALUES (?, ?, ?, ?, ?)",
        [[ld.load_id, suite.table, suite.fingerprint, run_id, now] for ld in loads],
    )
