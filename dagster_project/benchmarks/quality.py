"""Benchmark of the quality gate: validation time on millions of raw rows.

    python -m dagster_project.benchmarks.quality --accounts 32000     # ~5M raw rows

Generates a world and loads it through the real extract assets (as
``dagster_project.benchmarks.load``
does), then runs the quality checks of all 26 raw tables through Dagster (the real
``@multi_asset_check`` steps: Great Expectations on every row, since every file is new, plus the
DuckDB rules, results recorded, report written) and prints the time per table. It then runs
them again with nothing new (the nightly case: whole-table SQL rules only). ``--workdir`` keeps
the generated world and warehouse, ``--reuse`` validates an existing one again from scratch.
Nothing touches ``data/``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepare(workdir: Path, accounts: int, seed: int, reuse: bool) -> dict:
    """A loaded warehouse in ``workdir``: generated and extracted unless ``reuse``."""
    import dagster as dg
    import duckdb

    from dagster_project.defs.resources import LandingZone, warehouse_resource
    from dagster_project.defs.sources import ads, billing, crm
    from dagster_project.generate import generate
    from dagster_project.lib.quality.findings import ACCEPTED_TABLE

    landing, warehouse = workdir / "landing", workdir / "bench.duckdb"
    figures: dict = {}
    if not reuse:
        warehouse.unlink(missing_ok=True)
        t0 = time.perf_counter()
        generate(landing, workdir / "truth", accounts=accounts, seed=seed)
        figures["generate_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = dg.materialize(
            [*crm.assets, *ads.assets, *billing.assets],
            resources={
                "duckdb": warehouse_resource(warehouse),
                "landing": LandingZone(root=str(landing)),
            },
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        assert result.success
        figures["load_s"] = time.perf_counter() - t1
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"DROP TABLE IF EXISTS {ACCEPTED_TABLE}")  # validate everything again
        figures["raw_rows"] = sum(
            con.execute(f"select count(*) from {t}").fetchone()[0]
            for (t,) in con.execute(
                "select schema_name || '.' || table_name from duckdb_tables() "
                "where schema_name in ('raw_crm', 'raw_ads', 'raw_billing')"
            ).fetchall()
        )
    return {"landing": landing, "warehouse": warehouse, **figures}


def _run_checks(
    landing: Path, warehouse: Path, reports: Path, as_of: str
) -> tuple[float, dict[str, dict]]:
    """All quality checks through Dagster; seconds and per-table step figures."""
    import dagster as dg

    from dagster_project.defs.quality.checks import build_quality_checks
    from dagster_project.defs.resources import (
        LandingZone,
        QualityGate,
        ReportsFolder,
        warehouse_resource,
    )
    from dagster_project.defs.sources import ads, billing, crm

    checks = build_quality_checks()
    t0 = time.perf_counter()
    result = dg.materialize(
        [*crm.assets, *ads.assets, *billing.assets, *checks],
        selection=dg.AssetSelection.checks(*checks),
        resources={
            "duckdb": warehouse_resource(warehouse),
            "landing": LandingZone(root=str(landing)),
            "reports": ReportsFolder(root=str(reports)),
            # the generated world ends on a fixed day: freshness as of its last export
            "quality": QualityGate(freshness_as_of=as_of),
        },
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        raise_on_error=False,
    )
    seconds = time.perf_counter() - t0
    per_table: dict[str, dict] = {}
    for ev in result.get_asset_check_evaluations():
        meta = {k: v.value for k, v in ev.metadata.items()}
        row = per_table.setdefault(meta["table"], {"failed": []})
        row["rows"] = meta["rows_validated"]
        if not ev.passed:
            row["failed"].append(f"{ev.check_name} ({ev.severity.value})")
    for event in result.all_events:
        if event.is_step_success and event.step_key.startswith("quality_"):
            key = event.step_key.removeprefix("quality_")
            for table in per_table:
                if table.replace("raw_", "", 1).replace(".", "_") == key:
                    per_table[table]["step_s"] = event.event_specific_data.duration_ms / 1000
    return seconds, per_table


def main() -> None:
    from dagster_project.generate import WorldConfig

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=32000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--reuse", action="store_true", help="reuse the world in --workdir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rjw-quality-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        reports = workdir / "reports"
        as_of = f"{WorldConfig().end.isoformat()}T14:00:00+00:00"
        prep = _prepare(workdir, args.accounts, args.seed, args.reuse)
        first_s, per_table = _run_checks(prep["landing"], prep["warehouse"], reports, as_of)
        again_s, _ = _run_checks(prep["landing"], prep["warehouse"], reports, as_of)
    rows = sum(r.get("rows", 0) for r in per_table.values())
    print(f"accounts              {args.accounts:,}")
    if "generate_s" in prep:
        print(f"generate + load       {prep['generate_s']:.1f} s + {prep['load_s']:.1f} s")
    print(f"raw rows              {prep['raw_rows']:,}")
    print(
        f"quality, first run    {first_s:.1f} s for 26 tables, {rows:,} rows validated "
        f"({rows / first_s:,.0f} rows/s, incl. Dagster)"
    )
    print(f"quality, nothing new  {again_s:.1f} s (whole-table SQL rules only)")
    print(f"peak RSS              {_peak_rss_mib():,.0f} MiB")
    print("slowest tables (first run):")
    slowest = sorted(per_table.items(), key=lambda kv: -kv[1].get("step_s", 0))[:8]
    for table, r in slowest:
        failed = f"  failed: {', '.join(r['failed'])}" if r["failed"] else ""
        print(f"  {table:<36} {r.get('rows', 0):>10,} rows {r.get('step_s', 0):>7.1f} s{failed}")


if __name__ == "__main__":
    main()
