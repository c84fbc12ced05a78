"""Validation of one raw table: Great Expectations on the new rows, DuckDB SQL on the whole table.

Why this split (and not GX's SQL datasource, nor dagster-ge):

- GX 1.24's SQL datasource fails on DuckDB (every expectation errors: GX issues #10738, #11579),
  and dagster-ge only supports GX 0.x. So the row-level expectations run on GX's **pandas**
  datasource.
- Pulling a whole raw table into pandas on every run would not scale (raw tables keep every
  version of every record: millions of rows, most of them validated long ago). GX therefore
  validates only the **rows of loads not yet accepted**: the ``_load_id`` s of current manifest
  rows (``raw_meta.current_files``) that have no row in ``raw_meta.quality_accepted_loads`` for
  this suite's fingerprint. A nightly run validates the night's files; the first run validates
  everything once. A load that fails stays pending (and keeps failing and blocking) until its
  file is replaced by a corrected one. Editing a suite re-validates every load once.
- The batch is fetched from DuckDB in chunks of ``CHUNK_ROWS`` (only the columns the suite reads),
  so memory stays flat whatever the size of a file. Every GX expectation used here is a
  row-by-row (map) expectation, so the chunk results add up exactly.
- Checks that need sets of rows run as **DuckDB SQL** instead: keys unique per (key, version)
  within each file (a duplicate can straddle two chunks), the table's columns and types against
  the contract, columns a new file left empty while every other load fills them, rejected rows
  and truncated files (from the loader's ``raw_meta.load_rejects``), row volume against the
  previous load, and freshness over the whole table. Each is one aggregate query: milliseconds
  to a second on millions of rows.

Every result is a ``Finding``: table, check, expectation, column, severity, failing rows, example
values and where they came from (``_source_uri:_source_line``).
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.lib.quality.expectations import run_expectations
from dagster_project.lib.quality.findings import Evaluation, ensure_quality_tables, pending_loads
from dagster_project.lib.quality.rules import (
    check_freshness,
    check_keys_unique,
    check_rejects_and_truncation,
    check_schema,
    check_vanished_columns,
    check_volume,
)
from dagster_project.lib.quality.suite import (
    GX_CHECKS,
    Settings,
    Suite,
)


# ------------------------------------------------------------------------------------ evaluate
def evaluate(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    *,
    landing_root: Path | None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Evaluation:
    """Run every quality check of one raw table; the caller records and accepts."""
    settings = settings or Settings.from_env()
    ensure_quality_tables(con)
    con.execute("SET TimeZone = 'UTC'")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    loads = pending_loads(con, suite)
    findings = [check_schema(con, suite)]
    findings += check_vanished_columns(con, suite, loads)
    findings.append(check_keys_unique(con, suite, loads))
    findings += check_rejects_and_truncation(con, suite, loads, landing_root, settings)
    findings += check_volume(con, suite, loads, settings)
    seconds["sql_checks"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    gx_findings, rows = run_expectations(con, suite, [ld.load_id for ld in loads], now=now)
    seconds["great_expectations"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    freshness, fresh_stats = check_freshness(con, suite, settings)
    seconds["freshness"] = time.perf_counter() - t2
    # GX findings first within each check: the order the report and metadata show
    ordered = [f for check in GX_CHECKS for f in gx_findings if f.check == check]
    return Evaluation(
        table=suite.table,
        findings=ordered + findings + [freshness],
        loads=loads,
        rows_validated=rows,
        seconds=seconds,
        stats={"freshness": fresh_stats},
    )
