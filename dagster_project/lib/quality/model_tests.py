"""The dbt data tests of the last build that did not pass, kept for the quality report.

The quality gate on the raw tables runs before dbt; what only the models can see comes after it:
above all **orphans**, rows whose parent was rejected at load or never delivered (a task on a
lead that was not loaded, a member of an unknown campaign, a refund of a rejected charge). Those
rows are kept and flagged, and their `relationships` tests warn with the count instead of
stopping the night. The dbt asset records every test of a build that warned or failed in
``raw_meta.dbt_test_results`` (replaced by each build), and the quality report shows them in
their own section, orphans first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb

from dagster_project.lib.landing.manifest import META_SCHEMA
from dagster_project.lib.sql import table_exists

RESULTS_TABLE = f"{META_SCHEMA}.dbt_test_results"
COLUMNS = (
    "test_name",
    "test_type",
    "model",
    "column_name",
    "parent",
    "row_filter",
    "status",
    "failures",
    "message",
)
REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")


def not_passing(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[dict]:
    """The data tests of a build (``run_results.json``) that warned, failed or erred, described
    from the manifest: what they test, and for a relationships test the parent it looks up."""
    nodes = manifest.get("nodes", {})
    out = []
    for result in run_results.get("results", []):
        unique_id = result["unique_id"]
        if not unique_id.startswith("test.") or result["status"] == "pass":
            continue
        node = nodes.get(unique_id, {})
        metadata = node.get("test_metadata") or {}
        kwargs = metadata.get("kwargs") or {}
        attached = node.get("attached_node") or ""
        parent = None
        if metadata.get("name") == "relationships":
            found = REF.search(str(kwargs.get("to", "")))
            parent = f"{found.group(1) if found else kwargs.get('to')}.{kwargs.get('field')}"
        out.append(
            {
                "test_name": node.get("name", unique_id.split(".")[2]),
                "test_type": metadata.get("name", "singular"),
                "model": attached.split(".")[-1] if attached else None,
                "column_name": node.get("column_name") or kwargs.get("column_name"),
                "parent": parent,
                "row_filter": (node.get("config") or {}).get("where"),
                "status": result["status"],
                "failures": result.get("failures"),
                "message": (result.get("message") or "")[:2000],
            }
        )
    return sorted(out, key=lambda r: (r["test_type"] != "relationships", r["model"] or ""))


def is_orphan_test(result: Mapping[str, Any]) -> bool:
    """A relationships test: its failing rows are orphans (their parent is not loaded)."""
    return result["test_type"] == "relationships"


def orphaned_rows(results: list[dict]) -> int:
    """The orphaned rows among the tests that did not pass."""
    return sum(r["failures"] or 0 for r in results if is_orphan_test(r))


def failed_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """``node: message`` of every model, test or seed of a build that failed or erred."""
    return [
        # unique ids: <resource type>.<package>.<name>[.<hash of a generic test>]
        f"{r['unique_id'].split('.')[2]}: {(r.get('message') or r['status']).strip()}"
        for r in run_results.get("results", [])
        if r["status"] in ("fail", "error", "runtime error")
    ] or ["see the dbt log"]


def record(con: duckdb.DuckDBPyConnection, results: list[dict], run_id: str) -> None:
    """Replace the recorded results with those of this build."""
    con.execute(f"create schema if not exists {META_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {RESULTS_TABLE} (
            test_name varchar, test_type varchar, model varchar, column_name varchar,
            parent varchar, row_filter varchar, status varchar, failures bigint, message varchar,
            run_id varchar, recorded_at timestamptz
        )
        """
    )
    now = datetime.now(UTC)
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {RESULTS_TABLE}")
        if results:
            con.executemany(
                f"insert into {RESULTS_TABLE} values ({', '.join('?' * (len(COLUMNS) + 2))})",
                [[r[c] for c in COLUMNS] + [run_id, now] for r in results],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def latest(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The recorded results (none before the first build)."""
    if not table_exists(con, RESULTS_TABLE):
        return []
    rows = con.execute(
        f"select {', '.join(COLUMNS)}, run_id, recorded_at from {RESULTS_TABLE} "
        "order by test_type <> 'relationships', model, column_name, test_name"
    ).fetchall()
    return [dict(zip((*COLUMNS, "run_id", "recorded_at"), row, strict=True)) for row in rows]
