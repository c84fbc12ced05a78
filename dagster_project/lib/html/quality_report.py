"""The data-quality report: one self-contained HTML page, ``<reports>/quality.html``.

GX Data Docs need a file-backed GX project and write a multi-page site per validation; the checks
here validate one table per Dagster step and keep their results in the warehouse
(``store.py``), so the report is rendered from there instead: the latest evaluation of every raw
table, its checks, the failing expectations with their failing rows and example values (file and
line), the loads validated and the rules that passed. No external CSS or scripts: the file can be
mailed or opened from disk. It is written to a temporary file and renamed, so a reader never sees
half a page. Every check's metadata links to its table's section (``quality.html#raw_crm.leads``).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster_project.lib.files import write_atomically
from dagster_project.lib.quality.suite import CHECK_DESCRIPTIONS, CHECKS

REPORT_NAME = "quality.html"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1d2430}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
th,td{border-bottom:1px solid #e3e6ea;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f6f8;font-weight:600}code{font-size:12px;background:#f5f6f8;padding:0 .2rem}
.ERROR{color:#fff;background:#c62828}.WARN{color:#1d2430;background:#ffca28}
.PASS{color:#fff;background:#2e7d32}.badge{padding:.05rem .4rem;border-radius:3px;font-size:12px}
.muted{color:#6b7380}ul{margin:.2rem 0;padding-left:1.2rem}details{margin:.3rem 0 1rem}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def check_status(findings: Iterable[dict[str, Any]]) -> str:
    """PASS, WARN or ERROR: the worst failing finding decides."""
    failing = {f["severity"] for f in findings if not f["passed"]}
    return "ERROR" if "ERROR" in failing else "WARN" if "WARN" in failing else "PASS"


def _badge(status: str) -> str:
    return f'<span class="badge {status}">{status}</span>'


def render(evaluations: list[dict[str, Any]], generated_at: datetime | None = None) -> str:
    """The report page for the latest evaluation of every table."""
    generated_at = generated_at or datetime.now(UTC)
    statuses = {
        ev["table"]: {c: check_status(f for f in ev["findings"] if f["check"] == c) for c in CHECKS}
        for ev in evaluations
    }
    overall = {ev["table"]: check_status(ev["findings"]) for ev in evaluations}
    counts = {s: sum(1 for v in overall.values() if v == s) for s in ("ERROR", "WARN", "PASS")}
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Data quality: raw tables</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Data quality of the raw tables</h1>",
        f"<p class='muted'>Generated {generated_at:%Y-%m-%d %H:%M:%S} UTC. ERROR blocks everything "
        "downstream of a raw table in the same run (the marts keep their last good build); "
        "WARN is shown only. Great Expectations validates the rows of files not yet accepted; "
        "keys, schema, rejects, truncation, volume and freshness are checked in DuckDB.</p>",
        f"<p>{counts['ERROR']} table(s) with errors, {counts['WARN']} with warnings, "
        f"{counts['PASS']} passing.</p>",
        "<table><tr><th>raw table</th>"
        + "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in CHECKS)
        + "<th>evaluated (UTC)</th><th>rows validated</th></tr>",
    ]
    for ev in evaluations:
        t = ev["table"]
        out.append(
            f"<tr><td><a href='#{_e(t)}'>{_e(t)}</a></td>"
            + "".join(f"<td>{_badge(statuses[t][c])}</td>" for c in CHECKS)
            + f"<td>{ev['evaluated_at']:%Y-%m-%d %H:%M:%S}</td>"
            f"<td>{ev['rows_validated']:,}</td></tr>"
        )
    out.append("</table><ul class='muted'>")
    out.extend(
        f"<li><b>{_e(c.replace('_', ' '))}</b>: {_e(CHECK_DESCRIPTIONS[c])}</li>" for c in CHECKS
    )
    out.append("</ul>")
    for ev in evaluations:
        out.extend(_table_section(ev))
    out.append("</body></html>")
    return "\n".join(out)


def _table_section(ev: dict[str, Any]) -> list[str]:
    t = ev["table"]
    loads = ev["loads"]
    fresh = ev["stats"].get("freshness") or {}
    out = [
        f"<h2 id='{_e(t)}'>{_e(t)} {_badge(check_status(ev['findings']))}</h2>",
        f"<p class='muted'>Run {_e(ev['run_id'])}; {ev['rows_validated']:,} rows of "
        f"{len(loads)} new file(s) validated"
        + (": " + ", ".join(f"<code>{_e(u)}</code>" for u in loads[:10]) if loads else "")
        + ("" if len(loads) <= 10 else f" and {len(loads) - 10} more")
        + "."
        + (
            f" Newest record {_e(fresh.get('newest_record'))}, {_e(fresh.get('age_hours'))} h "
            f"old (allowed {_e(fresh.get('max_age_hours'))} h)."
            if fresh
            else ""
        )
        + "</p>",
    ]
    failing = [f for f in ev["findings"] if not f["passed"]]
    if failing:
        out.append(
            "<table><tr><th>severity</th><th>check</th><th>column</th><th>expectation</th>"
            "<th>failing rows</th><th>examples (value at file:line)</th><th>message</th></tr>"
        )
        for f in failing:
            examples = "".join(f"<li>{_e(x)}</li>" for x in f["examples"] or [])
            out.append(
                f"<tr><td>{_badge(f['severity'])}</td><td>{_e(f['check'])}</td>"
                f"<td><code>{_e(f['column'])}</code></td><td>{_e(f['expectation'])}</td>"
                f"<td>{f['failing_rows'] or 0:,} of {f['rows_checked'] or 0:,}</td>"
                f"<td><ul>{examples}</ul></td><td>{_e(f['message'])}</td></tr>"
            )
        out.append("</table>")
    passed = [f for f in ev["findings"] if f["passed"]]
    out.append(f"<details><summary>{len(passed)} rule(s) passed</summary><table>")
    out.append("<tr><th>check</th><th>severity if failing</th><th>rule</th><th>notes</th></tr>")
    for f in passed:
        out.append(
            f"<tr><td>{_e(f['check'])}</td><td>{_e(f['severity'])}</td><td>{_e(f['message'])}"
            f"</td><td class='muted'>{_e(f['notes'])}</td></tr>"
        )
    out.append("</table></details>")
    return out


def write_report(evaluations: list[dict[str, Any]], folder: Path) -> Path:
    """Render and write ``quality.html`` atomically (temporary file, then rename)."""
    return write_atomically(folder / REPORT_NAME, render(evaluations))


def report_url(folder: Path, table: str | None = None) -> str:
    """A file URL of the report, at a table's section when given."""
    url = (folder / REPORT_NAME).resolve().as_uri()
    return f"{url}#{table}" if table else url
