"""The set-level quality rules as DuckDB SQL: schema, vanished columns, keys unique per file,
rejects and truncation, volume, freshness."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.landing.contracts import LINEAGE_COLUMNS, META_SCHEMA
from dagster_project.lib.landing.fingerprint import compression_of, open_text
from dagster_project.lib.quality.findings import (
    EXAMPLES,
    Finding,
    Level,
    PendingLoad,
    _short,
)
from dagster_project.lib.quality.suite import (
    Settings,
    Suite,
)
from dagster_project.lib.sql import ident as _ident


# --------------------------------------------------------------------------------- SQL checks
def check_schema(con: duckdb.DuckDBPyConnection, suite: Suite) -> Finding:
    """The raw table has every contract and lineage column with the contract's type.

    The loader adds missing columns but never retypes one, so a contract whose type changed
    after the table was created would otherwise load values into the old type unnoticed.
    """
    wanted = {c.name: c.type for c in suite.contract.columns} | LINEAGE_COLUMNS
    normalised = con.execute(
        "SELECT " + ", ".join(f"typeof(NULL::{t})" for t in wanted.values())
    ).fetchone()
    expected = {n.lower(): (n, t) for n, t in zip(wanted, normalised, strict=True)}
    actual = {
        r[0].lower(): r[1]
        for r in con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = ? AND table_name = ?",
            [suite.contract.schema, suite.contract.object],
        ).fetchall()
    }
    problems = []
    for key, (name, type_) in expected.items():
        if key not in actual:
            problems.append(f"{name} missing (contract type {type_})")
        elif actual[key] != type_:
            problems.append(f"{name} is {actual[key]}, the contract says {type_}")
    message = (
        f"{suite.table}: columns and types match the contract ({len(expected)} columns)"
        if not problems
        else f"{suite.table}: the table does not match its contract: {'; '.join(problems)}"
    )
    return Finding(
        check="columns_and_types",
        table=suite.table,
        expectation="table columns and types match the contract",
        column=", ".join(p.split(" ", 1)[0] for p in problems) or None,
        severity="ERROR",
        passed=not problems,
        failing_rows=0,
        rows_checked=0,
        examples=problems[:EXAMPLES],
        message=message,
    )


def check_vanished_columns(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    loads: list[PendingLoad],
    min_other_rows: int = 20,
    always_filled: float = 0.99,
) -> list[Finding]:
    """Contract columns a new file leaves empty although every other load fills them.

    A required column missing from a file fails the load in the loader; an optional one is
    loaded as NULL. If the other loads fill it in at least 99 % of their rows, the file most
    likely renamed or dropped it: ERROR when the same file carries unknown columns (a rename,
    the values sit in ``_extra``), WARN when it does not. Unknown columns alone are a WARN
    (kept in ``_extra``, never lost).
    """
    findings: list[Finding] = []
    if not loads:
        return findings
    columns = suite.contract.column_names
    counts = con.execute(
        "SELECT _load_id, count(*), "
        + ", ".join(f"count({_ident(c)})" for c in columns)
        + f" FROM {suite.table} GROUP BY _load_id"
    ).fetchall()
    per_load = {r[0]: (r[1], r[2:]) for r in counts}
    total_rows = sum(n for n, _ in per_load.values())
    total_filled = [sum(v[i] for _, v in per_load.values()) for i in range(len(columns))]
    for load in loads:
        rows, filled = per_load.get(load.load_id, (0, [0] * len(columns)))
        others = total_rows - rows
        vanished = []
        if rows and others >= min_other_rows:
            for i, col in enumerate(columns):
                other_filled = total_filled[i] - filled[i]
                if filled[i] == 0 and other_filled >= always_filled * others:
                    vanished.append((col, other_filled / others))
        extras = load.extra_columns
        if vanished:
            severity: Level = "ERROR" if extras else "WARN"
            cols = ", ".join(c for c, _ in vanished)
            hint = (
                f"; the file carries unknown column(s) {', '.join(extras)} instead (kept in "
                "_extra): renamed?"
                if extras
                else ": did the source stop sending it?"
            )
            findings.append(
                Finding(
                    check="columns_and_types",
                    table=suite.table,
                    expectation="no column vanishes from a new file",
                    column=cols,
                    severity=severity,
                    passed=False,
                    failing_rows=rows,
                    rows_checked=rows,
                    examples=[
                        f"{c} empty in all {rows} rows of {load.source_uri}, filled in "
                        f"{share:.0%} of the other {others} rows"
                        for c, share in vanished[:EXAMPLES]
                    ]
                    + [f"unknown column {e}" for e in extras[:EXAMPLES]],
                    message=f"{suite.table}.{cols}: empty in every row of {load.source_uri} "
                    f"although the other loads fill it{hint}",
                )
            )
        elif extras:
            findings.append(
                Finding(
                    check="columns_and_types",
                    table=suite.table,
                    expectation="new files carry only contract columns",
                    column=", ".join(extras),
                    severity="WARN",
                    passed=False,
                    failing_rows=0,
                    rows_checked=rows,
                    examples=[f"{e} in {load.source_uri}" for e in extras[:EXAMPLES]],
                    message=f"{suite.table}: {load.source_uri} carries column(s) the contract "
                    f"does not know: {', '.join(extras)} (kept in _extra; add them to the "
                    "contract to use them)",
                )
            )
    if not findings:
        findings.append(
            Finding(
                check="columns_and_types",
                table=suite.table,
                expectation="no column vanishes from a new file",
                column=None,
                severity="ERROR",
                passed=True,
                rows_checked=sum(per_load.get(ld.load_id, (0,))[0] for ld in loads),
                message=f"{suite.table}: new files carry every column the other loads fill",
            )
        )
    return findings


def check_keys_unique(
    con: duckdb.DuckDBPyConnection, suite: Suite, loads: list[PendingLoad]
) -> Finding:
    """A key (with its version field) appears at most once per source file.

    Raw tables keep every version of a record, and the same version may arrive again in a
    later, overlapping export: both are fine (staging keeps the newest, then the latest
    export). Two rows with the same key and version in one file are not: the file contradicts
    itself and staging would pick one of them at random.
    """
    key = list(suite.contract.primary_key)
    if suite.contract.updated_at:
        key.append(suite.contract.updated_at)
    label = ", ".join(key)
    ids = ", ".join(str(ld.load_id) for ld in loads) or "NULL"
    cols = ", ".join(_ident(k) for k in key)
    not_null = " AND ".join(f"{_ident(k)} IS NOT NULL" for k in suite.contract.primary_key)
    groups = con.execute(
        f"""
        SELECT {cols}, _source_uri, count(*) AS n,
               list(_source_line ORDER BY _source_line)[1:3] AS lines
        FROM {suite.table}
        WHERE _load_id IN ({ids}) AND {not_null}
        GROUP BY ALL
        HAVING count(*) > 1
        ORDER BY n DESC, _source_uri
        """
    ).fetchall()
    failing = sum(g[-2] for g in groups)
    examples = [
        f"{', '.join(_short(v) for v in g[: len(key)])} ×{g[-2]} at {g[len(key)]}:"
        + ",".join(str(line) for line in g[-1])
        for g in groups[:EXAMPLES]
    ]
    checked = sum(ld.rows_loaded for ld in loads)
    message = (
        f"{suite.table}.{label}: unique within every new file ({checked} rows)"
        if not groups
        else f"{suite.table}.{label}: {len(groups)} key(s) appear more than once in one file "
        f"({failing} rows), e.g. {'; '.join(examples)}"
    )
    return Finding(
        check="keys_unique_and_not_null",
        table=suite.table,
        expectation="key unique per (key, version) within each file",
        column=label,
        severity="ERROR",
        passed=not groups,
        failing_rows=failing,
        rows_checked=checked,
        examples=examples,
        message=message,
    )


def _family(uri: str) -> str:
    """A file's series: its name without digits (``leads_20261031T020000Z_full.csv`` ->
    ``leads_TZ_full.csv``), so daily exports compare with daily exports, deltas with deltas."""
    return re.sub(r"\d+", "", uri)


def check_rejects_and_truncation(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    loads: list[PendingLoad],
    landing_root: Path | None,
    settings: Settings,
) -> list[Finding]:
    """Per new file: the share of rows the loader rejected, and whether the file was cut off.

    The loader already keeps every unparseable line in ``raw_meta.load_rejects`` and reconciles
    loaded + rejected = received; this gate decides whether the rejects are tolerable (WARN
    above ``reject_warn_rate``, ERROR above ``reject_error_rate``). A file that ends inside its
    last record (the loader's 'TRUNCATED' reject: no final newline and an incomplete record, or
    an unterminated quote) was cut off (a transfer that stopped): ERROR, whatever the share,
    because the rows after the cut are missing without a trace.
    """
    findings: list[Finding] = []
    for load in loads:
        rejects = con.execute(
            f"""
            SELECT line, column_name, error_type, reason, raw_record
            FROM {META_SCHEMA}.load_rejects
            WHERE load_id = ?
            ORDER BY line
            """,
            [load.load_id],
        ).fetchall()
        examples = [
            f"line {r[0]}"
            + (f" column {r[1]}" if r[1] else "")
            + f": {r[2]} ({_short(r[3], 60)}): {_short(r[4], 60)}"
            for r in rejects[:EXAMPLES]
        ]
        share = load.rows_rejected / load.rows_received if load.rows_received else 0.0
        if load.rows_rejected:
            severity: Level = "ERROR" if share > settings.reject_error_rate else "WARN"
            passed = share <= settings.reject_warn_rate
            columns = sorted({r[1] for r in rejects if r[1]})
            findings.append(
                Finding(
                    check="load_completeness",
                    table=suite.table,
                    expectation="few rows rejected by the loader",
                    column=", ".join(columns) or None,
                    severity=severity,
                    passed=passed,
                    failing_rows=load.rows_rejected,
                    rows_checked=load.rows_received,
                    examples=examples,
                    message=f"{suite.table}: the loader rejected {load.rows_rejected} of "
                    f"{load.rows_received} rows ({share:.2%}) of {load.source_uri} "
                    f"(WARN above {settings.reject_warn_rate:.0%}, ERROR above "
                    f"{settings.reject_error_rate:.0%}), e.g. {'; '.join(examples[:2])}",
                )
            )
        truncated = _truncated_at(con, suite.table, load, rejects, landing_root)
        if truncated is not None:
            last = [r for r in rejects if r[0] == truncated]
            column, value = _cut_point(landing_root, load.source_uri, suite, last)
            cause = last[0][3] if last[0][2] != "TRUNCATED" else last[0][3].split(" (DuckDB: ")[0]
            findings.append(
                Finding(
                    check="load_completeness",
                    table=suite.table,
                    expectation="files end with a complete record",
                    column=column,
                    severity="ERROR",
                    passed=False,
                    failing_rows=1,
                    rows_checked=load.rows_received,
                    examples=[
                        f"{_short(value, 60)} at {load.source_uri}:{truncated}"
                        + (f" (cut inside {column})" if column else "")
                    ],
                    message=f"{suite.table}: {load.source_uri} ends in an incomplete record at "
                    f"line {truncated}"
                    + (f", cut inside column {column} ('{_short(value, 40)}')" if column else "")
                    + f" (the loader rejected it: {_short(cause, 90)}): the file looks truncated "
                    "and the rows after the cut are missing",
                )
            )
    return findings


def _truncated_at(
    con: duckdb.DuckDBPyConnection,
    table: str,
    load: PendingLoad,
    rejects: list[tuple],
    landing_root: Path | None,
) -> int | None:
    """The line of the cut: the loader's 'TRUNCATED' reject (a file that ends inside its last
    record, whatever that record's last column), or for loads made before the loader marked
    them, a rejected last line the file ends in without a newline."""
    marked = [r[0] for r in rejects if r[2] == "TRUNCATED" and r[0] is not None]
    if marked:
        return marked[-1]
    reject_lines = sorted({r[0] for r in rejects if r[0] is not None})
    if not reject_lines or landing_root is None or "://" in load.source_uri:
        return None
    path = Path(landing_root) / load.source_uri
    if not path.is_file() or path.stat().st_size != load.size_bytes or not load.size_bytes:
        return None  # the file changed or went away since it was loaded: nothing to read
    if compression_of(path):
        return None  # (compressed files were loaded by a loader that marks truncation)
    with path.open("rb") as fh:
        fh.seek(-1, 2)
        if fh.read(1) == b"\n":
            return None
    last_loaded = con.execute(
        f"SELECT max(_source_line) FROM {table} WHERE _load_id = ?", [load.load_id]
    ).fetchone()[0]
    last_reject = reject_lines[-1]
    return last_reject if last_loaded is None or last_reject > last_loaded else None


def _cut_point(
    landing_root: Path | None, uri: str, suite: Suite, rejects: list[tuple]
) -> tuple[str | None, str]:
    """The column a truncated record stops in, and its (cut) value.

    The loader's 'TRUNCATED' reject names the column. Otherwise, CSV: DuckDB reports the fields
    it found ("Found: 17"), so the cut is in the 17th header column; NDJSON: the last key the
    broken text still holds.
    """
    raw = str(rejects[0][4] or "")
    named = next((r[1] for r in rejects if r[2] == "TRUNCATED" and r[1]), None)
    if suite.contract.format == "csv":
        fields = next(csv.reader([raw]), [""]) or [""]
        if named:
            return named, fields[-1]
        header: list[str] = []
        if landing_root is not None and "://" not in uri:
            with open_text(Path(landing_root) / uri) as fh:
                header = next(csv.reader(fh), [])
        found = [int(m.group(1)) for r in rejects if (m := re.search(r"Found: (\d+)", r[3] or ""))]
        if found and 0 < min(found) <= len(header):
            return header[min(found) - 1].strip(), fields[-1]
        return (rejects[0][1], fields[-1]) if rejects[0][1] else (None, raw[-40:])
    if named:
        return named, raw[-40:]
    keys = re.findall(r'"([^"\\]+)"\s*:', raw)
    return (keys[-1] if keys else None), raw[-40:]


def check_volume(
    con: duckdb.DuckDBPyConnection, suite: Suite, loads: list[PendingLoad], settings: Settings
) -> list[Finding]:
    """Row volume of each new file against the previous load of the same file series (WARN).

    A replaced file compares with the version it replaced; a new file with the latest earlier
    file of its series (same name once digits are removed: daily full exports with daily full
    exports, deltas with deltas). An empty file is a WARN too. WARN only: volumes do move, and a
    truncated file is caught by its cut-off last record. API pages are not compared.
    """
    findings: list[Finding] = []
    history = con.execute(
        f"""
        SELECT load_id, source_uri, rows_received, superseded_by
        FROM {META_SCHEMA}.load_manifest
        WHERE table_name = ?
        ORDER BY load_id
        """,
        [suite.table],
    ).fetchall()
    for load in loads:
        if load.status == "duplicate":  # content already loaded under another name: no rows
            continue
        if load.source_uri.startswith(("http://", "https://")):
            # an API page holds what changed since the last run: its size says nothing about
            # completeness (the extract checks every page's status and paging)
            continue
        previous = [h for h in history if h[3] == load.load_id]  # the version it replaced
        basis = "the version it replaced"
        if not previous:
            family = _family(load.source_uri)
            previous = [
                h
                for h in history
                if h[0] < load.load_id and h[1] != load.source_uri and _family(h[1]) == family
            ][-1:]
            basis = f"the previous file of its series ({previous[0][1]})" if previous else ""
        if load.rows_received == 0:
            problem = "is empty"
        elif previous and load.rows_received < (1 - settings.volume_drop) * previous[-1][2]:
            drop = 1 - load.rows_received / previous[-1][2]
            problem = (
                f"has {load.rows_received} rows, {drop:.0%} fewer than the {previous[-1][2]} "
                f"of {basis}"
            )
        else:
            continue
        findings.append(
            Finding(
                check="load_completeness",
                table=suite.table,
                expectation="row volume holds against the previous load",
                column=None,
                severity="WARN",
                passed=False,
                failing_rows=0,
                rows_checked=load.rows_received,
                examples=[f"{load.source_uri}: {load.rows_received} rows"],
                message=f"{suite.table}: {load.source_uri} {problem}",
            )
        )
    return findings


def check_freshness(
    con: duckdb.DuckDBPyConnection, suite: Suite, settings: Settings
) -> tuple[Finding, dict[str, Any]]:
    """WARN when the newest record of the table is older than the allowed age."""
    max_age = settings.max_age_hours(suite)
    as_of = settings.freshness_as_of or datetime.now(UTC)
    if suite.freshness is None or max_age is None:
        return (
            Finding(
                check="freshness",
                table=suite.table,
                expectation="newest record younger than the allowed age",
                column=None,
                severity="WARN",
                passed=True,
                message=f"{suite.table}: no freshness expectation (a slow-changing object)",
            ),
            {},
        )
    newest = con.execute(f"SELECT max({suite.freshness.expression}) FROM {suite.table}").fetchone()[
        0
    ]
    if newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    age_hours = None if newest is None else (as_of - newest).total_seconds() / 3600
    passed = age_hours is not None and age_hours <= max_age
    stats = {
        "newest_record": newest.isoformat() if newest else None,
        "age_hours": round(age_hours, 1) if age_hours is not None else None,
        "max_age_hours": max_age,
        "as_of": as_of.isoformat(),
    }
    message = (
        f"{suite.table}: no records, so nothing is fresh"
        if newest is None
        else f"{suite.table}: newest record {newest:%Y-%m-%d %H:%M} UTC "
        f"({suite.freshness.expression}) is {age_hours:.0f} h old as of "
        f"{as_of:%Y-%m-%d %H:%M} UTC; allowed: {max_age:.0f} h"
    )
    return (
        Finding(
            check="freshness",
            table=suite.table,
            expectation="newest record younger than the allowed age",
            column=suite.freshness.expression,
            severity="WARN",
            passed=passed,
            examples=[] if passed or newest is None else [f"newest {newest.isoformat()}"],
            message=message,
        ),
        stats,
    )
