"""Quality results in the warehouse: what every check found, kept for the report and history.

``raw_meta.quality_evaluations`` has one row per raw table per quality run (which loads were
validated, how many rows, how long it took); ``raw_meta.quality_results`` one row per expectation
or SQL rule of that evaluation (passed, severity, failing rows, example values with file:line).
The HTML report reads the latest evaluation of every table from here, so it is complete after
every run whichever checks ran.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import duckdb

from dagster_project.lib.landing.contracts import META_SCHEMA
from dagster_project.lib.quality.findings import Evaluation

EVALUATIONS_TABLE = f"{META_SCHEMA}.quality_evaluations"
RESULTS_TABLE = f"{META_SCHEMA}.quality_results"


def ensure_result_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {EVALUATIONS_TABLE} (evaluation_id VARCHAR NOT NULL, "
        "run_id VARCHAR, table_name VARCHAR NOT NULL, evaluated_at TIMESTAMPTZ NOT NULL, "
        "loads_validated VARCHAR[], rows_validated BIGINT, seconds JSON, stats JSON)"
    )
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (evaluation_id VARCHAR NOT NULL, "
        "table_name VARCHAR NOT NULL, check_name VARCHAR NOT NULL, expectation VARCHAR, "
        "column_name VARCHAR, severity VARCHAR NOT NULL, passed BOOLEAN NOT NULL, "
        "failing_rows BIGINT, rows_checked BIGINT, examples VARCHAR[], message VARCHAR, "
        "notes VARCHAR, position INTEGER)"
    )


def record(con: duckdb.DuckDBPyConnection, evaluation: Evaluation, run_id: str | None) -> str:
    """Store an evaluation and its findings in one transaction; returns the evaluation id."""
    ensure_result_tables(con)
    evaluation_id = str(uuid.uuid4())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"INSERT INTO {EVALUATIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                evaluation_id,
                run_id,
                evaluation.table,
                datetime.now(UTC),
                [ld.source_uri for ld in evaluation.loads],
                evaluation.rows_validated,
                json.dumps({k: round(v, 3) for k, v in evaluation.seconds.items()}),
                json.dumps(evaluation.stats, default=str),
            ],
        )
        con.executemany(
            f"INSERT INTO {RESULTS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    evaluation_id,
                    f.table,
                    f.check,
                    f.expectation,
                    f.column,
                    f.severity,
                    f.passed,
                    f.failing_rows,
                    f.rows_checked,
                    f.examples,
                    f.message,
                    f.notes,
                    i,
                ]
                for i, f in enumerate(evaluation.findings)
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return evaluation_id


def latest_results(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The latest evaluation of every raw table with its findings, for the report."""
    ensure_result_tables(con)
    evaluations = con.execute(
        f"""
        SELECT evaluation_id, run_id, table_name, evaluated_at, loads_validated, rows_validated,
               seconds, stats
        FROM {EVALUATIONS_TABLE}
        QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY evaluated_at DESC) = 1
        ORDER BY table_name
        """
    ).fetchall()
    ids = [e[0] for e in evaluations]
    findings: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        rows = con.execute(
            f"""
            SELECT evaluation_id, check_name, expectation, column_name, severity, passed,
                   failing_rows, rows_checked, examples, message, notes
            FROM {RESULTS_TABLE}
            WHERE evaluation_id IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY evaluation_id, position
            """,
            [ids],
        ).fetchall()
        keys = (
            "check",
            "expectation",
            "column",
            "severity",
            "passed",
            "failing_rows",
            "rows_checked",
            "examples",
            "message",
            "notes",
        )
        for r in rows:
            findings[r[0]].append(dict(zip(keys, r[1:], strict=True)))
    return [
        {
            "evaluation_id": e[0],
            "run_id": e[1],
            "table": e[2],
            "evaluated_at": e[3],
            "loads": list(e[4] or []),
            "rows_validated": e[5],
            "seconds": json.loads(e[6]) if e[6] else {},
            "stats": json.loads(e[7]) if e[7] else {},
            "findings": findings[e[0]],
        }
        for e in evaluations
    ]
