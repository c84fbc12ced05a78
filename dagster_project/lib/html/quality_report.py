"""The data-quality report: one self-contained HTML page, ``<reports>/quality.html``.

GX Data Docs need a file-backed GX project and write a multi-page site per validation; the checks
here validate one table per Dagster step and keep their results in the warehouse
(``store.py``), so the report is rendered from there instead: the latest evaluation of every raw
table, its checks, the failing expectations with their failing rows and example values (file and
line), the loads validated and the rules that passed. No external CSS or scripts: the file can be
mailed or opened from disk. The functions here prepare the values; the markup is
``templates/quality_report.html.j2`` (on the shared ``base.html.j2``), autoescaped. It is
written to a temporary file and renamed, so a reader never sees half a page. Every check's
metadata links to its table's section (``quality.html#raw_crm.leads``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster_project.lib.files import write_atomically
from dagster_project.lib.html.render import render_template
from dagster_project.lib.quality.model_tests import is_orphan_test, orphaned_rows
from dagster_project.lib.quality.suite import CHECK_DESCRIPTIONS, CHECKS

REPORT_NAME = "quality.html"
TEMPLATE = "quality_report.html.j2"
MAX_LOADS_LISTED = 10  # file names shown per table; the rest are counted


def _text(value: Any) -> str:
    """A stored value as shown: empty for a missing one."""
    return "" if value is None else str(value)


def check_status(findings: Iterable[dict[str, Any]]) -> str:
    """PASS, WARN or ERROR: the worst failing finding decides."""
    failing = {f["severity"] for f in findings if not f["passed"]}
    return "ERROR" if "ERROR" in failing else "WARN" if "WARN" in failing else "PASS"


def _section(ev: dict[str, Any]) -> dict[str, Any]:
    """One table's section: its run, the loads validated, failing and passed rules."""
    loads = ev["loads"]
    fresh = ev["stats"].get("freshness") or {}
    return {
        "table": ev["table"],
        "status": check_status(ev["findings"]),
        "run_id": _text(ev["run_id"]),
        "rows_validated": f"{ev['rows_validated']:,}",
        "new_files": len(loads),
        "loads": [_text(u) for u in loads[:MAX_LOADS_LISTED]],
        "more_loads": max(len(loads) - MAX_LOADS_LISTED, 0),
        "freshness": {
            k: _text(fresh.get(k)) for k in ("newest_record", "age_hours", "max_age_hours")
        }
        if fresh
        else None,
        "failing": [
            {
                "severity": f["severity"],
                "check": _text(f["check"]),
                "column": _text(f["column"]),
                "expectation": _text(f["expectation"]),
                "failing_rows": f"{f['failing_rows'] or 0:,} of {f['rows_checked'] or 0:,}",
                "examples": [_text(x) for x in f["examples"] or []],
                "message": _text(f["message"]),
            }
            for f in ev["findings"]
            if not f["passed"]
        ],
        "passed": [
            {
                "check": _text(f["check"]),
                "severity": _text(f["severity"]),
                "message": _text(f["message"]),
                "notes": _text(f["notes"]),
            }
            for f in ev["findings"]
            if f["passed"]
        ],
    }


def _model_test(result: dict[str, Any]) -> dict[str, Any]:
    """One dbt data test of the last build that did not pass (``lib/quality/model_tests``)."""
    orphan = is_orphan_test(result)
    failures = result["failures"]
    return {
        "status": "ERROR" if result["status"] in ("fail", "error") else "WARN",
        "relation": f"{_text(result['model'])}.{_text(result['column_name'])}",
        "test": _text(result["test_name"]),
        "kind": "orphans" if orphan else _text(result["test_type"]),
        "failing_rows": "" if failures is None else f"{failures:,}",
        "meaning": (
            f"rows whose {_text(result['parent'])} is not in the warehouse (rejected at load or "
            "never delivered): kept and flagged, not dropped"
            if orphan
            else _text(result["message"])
        ),
    }


def report_context(
    evaluations: list[dict[str, Any]],
    generated_at: datetime | None = None,
    model_tests: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Everything the template prints, prepared from the evaluations and the last dbt build's
    data tests that did not pass (pure)."""
    generated_at = generated_at or datetime.now(UTC)
    model_tests = list(model_tests)
    model_rows = [_model_test(r) for r in model_tests]
    orphans = orphaned_rows(model_tests)
    overall = {ev["table"]: check_status(ev["findings"]) for ev in evaluations}
    return {
        "generated": f"{generated_at:%Y-%m-%d %H:%M:%S}",
        "counts": {
            s: sum(1 for v in overall.values() if v == s) for s in ("ERROR", "WARN", "PASS")
        },
        "checks": [
            {"name": c.replace("_", " "), "description": CHECK_DESCRIPTIONS[c]} for c in CHECKS
        ],
        "overview": [
            {
                "table": ev["table"],
                "statuses": [
                    check_status(f for f in ev["findings"] if f["check"] == c) for c in CHECKS
                ],
                "evaluated_at": f"{ev['evaluated_at']:%Y-%m-%d %H:%M:%S}",
                "rows_validated": f"{ev['rows_validated']:,}",
            }
            for ev in evaluations
        ],
        "sections": [_section(ev) for ev in evaluations],
        "model_tests": model_rows,
        "orphan_rows": f"{orphans:,}",
    }


def render(
    evaluations: list[dict[str, Any]],
    generated_at: datetime | None = None,
    model_tests: Iterable[dict[str, Any]] = (),
) -> str:
    """The report page for the latest evaluation of every table."""
    return render_template(TEMPLATE, **report_context(evaluations, generated_at, model_tests))


def write_report(
    evaluations: list[dict[str, Any]], folder: Path, model_tests: Iterable[dict[str, Any]] = ()
) -> Path:
    """Render and write ``quality.html`` atomically (temporary file, then rename)."""
    return write_atomically(folder / REPORT_NAME, render(evaluations, model_tests=model_tests))


def report_url(folder: Path, table: str | None = None) -> str:
    """A file URL of the report, at a table's section when given."""
    url = (folder / REPORT_NAME).resolve().as_uri()
    return f"{url}#{table}" if table else url
