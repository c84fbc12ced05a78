"""Benchmark: generate a large world, land it through the real extract assets, build the dbt
project, print figures.

    python -m dagster_project.benchmarks.load --accounts 32000            # load ~5M landed rows
    python -m dagster_project.benchmarks.load --accounts 50000 --anonymous-visitors 20 --dbt
                                                                    # + dbt build, ~5M touches

Prints generation time, landed rows, load time, rows per second, the dbt build time and the
size of the journey mart, and peak memory (RSS) of this process (dbt runs in a subprocess and
is not included). Uses a temporary folder unless ``--workdir`` is given; nothing touches
``data/``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(accounts: int, seed: int, workdir: Path, anonymous: float, with_dbt: bool) -> dict:
    import dagster as dg

    from dagster_project.defs.resources import LandingZone, warehouse_resource
    from dagster_project.defs.sources import ads, billing, crm
    from dagster_project.generate import generate

    landing, truth = workdir / "landing", workdir / "truth"
    warehouse = workdir / "bench.duckdb"
    warehouse.unlink(missing_ok=True)
    t0 = time.perf_counter()
    summary = generate(
        landing, truth, accounts=accounts, seed=seed, anonymous_visitors_per_person=anonymous
    )
    gen_s = time.perf_counter() - t0
    files = sum(1 for _ in landing.rglob("*.*"))
    size_mib = sum(p.stat().st_size for p in landing.rglob("*.*")) / 2**20
    resources = {
        "duckdb": warehouse_resource(warehouse),
        "landing": LandingZone(root=str(landing)),
    }
    assets = [*crm.assets, *ads.assets, *billing.assets]
    t1 = time.perf_counter()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = dg.materialize(assets, resources=resources, run_config=quiet)
    load_s = time.perf_counter() - t1
    assert result.success
    loaded = rejected = received = 0
    per_asset = []
    for ev in result.get_asset_materialization_events():
        md = {k: v.value for k, v in ev.materialization.metadata.items()}
        loaded += md["rows_loaded"]
        rejected += md["rows_rejected"]
        received += md["rows_received"]
        per_asset.append(
            (
                ev.materialization.asset_key.to_user_string(),
                md["rows_loaded"],
                md["duration_seconds"],
            )
        )
    t2 = time.perf_counter()
    rerun = dg.materialize(assets, resources=resources, run_config=quiet)
    rerun_s = time.perf_counter() - t2
    assert rerun.success
    dbt_figures = _build_dbt(warehouse) if with_dbt else {}
    return {
        **dbt_figures,
        "accounts": accounts,
        "files": files,
        "landing_mib": size_mib,
        "generate_s": gen_s,
        "rows_received": received,
        "rows_loaded": loaded,
        "rows_rejected": rejected,
        "load_s": load_s,
        "rerun_s": rerun_s,
        "rows_per_s": received / load_s,
        "peak_rss_mib": _peak_rss_mib(),
        "per_asset": sorted(per_asset, key=lambda r: -r[2])[:8],
        "generated_rows": sum(f["rows"] for f in summary["files"]),
    }


def _build_dbt(warehouse: Path) -> dict:
    """`dbt build` of the whole project through the real dbt asset, timed, plus mart sizes."""
    import dagster as dg
    import duckdb

    from dagster_project.defs.resources import ReportsFolder, dbt_cli, warehouse_resource
    from dagster_project.defs.transform.dbt import dbt_models

    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    t0 = time.perf_counter()
    result = dg.materialize(
        [dbt_models],
        resources={
            "dbt": dbt_cli(),
            "duckdb": warehouse_resource(warehouse),
            "reports": ReportsFolder(root=str(warehouse.parent / "reports")),
        },
        run_config=quiet,
    )
    build_s = time.perf_counter() - t0
    assert result.success
    step_s = {}
    for event in result.all_events:
        if event.is_step_success:
            step_s[event.step_key] = event.event_specific_data.duration_ms / 1000
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sizes = {
            t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in ("touchpoints", "journey_touches", "opportunities")
        }
    return {"dbt_build_s": build_s, "mart_rows": sizes, "dbt_steps": step_s}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=32000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--anonymous-visitors",
        type=float,
        default=2.0,
        help="anonymous ad-click visitors per person (more touches)",
    )
    parser.add_argument("--dbt", action="store_true", help="also time `dbt build`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rjw-bench-") as tmp:
        r = run(
            args.accounts, args.seed, args.workdir or Path(tmp), args.anonymous_visitors, args.dbt
        )
    print(f"accounts            {r['accounts']:,}")
    print(f"landing files       {r['files']} ({r['landing_mib']:.0f} MiB)")
    print(f"generate            {r['generate_s']:.1f} s for {r['generated_rows']:,} rows")
    print(
        f"load (26 assets)    {r['load_s']:.1f} s: {r['rows_received']:,} received, "
        f"{r['rows_loaded']:,} loaded, {r['rows_rejected']:,} rejected"
    )
    print(f"throughput          {r['rows_per_s']:,.0f} rows/s (end to end, incl. Dagster)")
    print(f"re-run (no changes) {r['rerun_s']:.1f} s")
    print(f"peak RSS            {r['peak_rss_mib']:,.0f} MiB (generator + loader process)")
    if "dbt_build_s" in r:
        sizes = ", ".join(f"{k} {v:,}" for k, v in r["mart_rows"].items())
        print(f"dbt + attribution   {r['dbt_build_s']:.1f} s ({sizes})")
        for step, seconds in r["dbt_steps"].items():
            print(f"  {step:<40} {seconds:>8.1f} s")
    print("slowest assets:")
    for key, rows, secs in r["per_asset"]:
        print(f"  {key:<40} {rows:>12,} rows {secs:>7.2f} s")


if __name__ == "__main__":
    main()
