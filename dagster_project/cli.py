"""``rjw``: generate sample data, run the whole pipeline, print what landed.

rjw generate [--accounts N] [--seed S]   write sample exports into the landing zone
rjw run [--accounts N] [--regenerate]    generate if the landing zone is empty, run everything
rjw summary                              row counts of the raw tables and the rejects
rjw serving status                       the analysts' DuckDB snapshot and the one before it
rjw serving rollback                     serve the previous snapshot again (run twice to undo)
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

DEFAULT_ACCOUNTS = 1000


def _generate(args: argparse.Namespace) -> dict:
    from dagster_project.defs.resources import landing_path
    from dagster_project.generate import generate

    landing = landing_path()
    truth = Path(args.truth) if args.truth else landing.parent / "truth"
    t0 = time.perf_counter()
    summary = generate(
        landing, truth, accounts=args.accounts, seed=args.seed, malformed_rate=args.malformed_rate
    )
    rows = sum(f["rows"] for f in summary["files"])
    print(
        f"generated {rows:,} rows in {len(summary['files'])} files into {landing} "
        f"({time.perf_counter() - t0:.1f} s; ground truth in {truth})"
    )
    return summary


def summary_table() -> list[tuple[str, int, int, int]]:
    """(raw table, rows, files, rejected rows) for every landing contract."""
    import duckdb

    from dagster_project.defs.resources import warehouse_path
    from dagster_project.lib.landing.contracts import CONTRACTS

    out = []
    with duckdb.connect(str(warehouse_path()), read_only=True) as con:
        for c in CONTRACTS.values():
            rows = con.execute(f"select count(*) from {c.table}").fetchone()[0]
            files, rejected = con.execute(
                "select count(*), coalesce(sum(rows_rejected), 0) from raw_meta.current_files "
                "where table_name = ?",
                [c.table],
            ).fetchone()
            out.append((c.table, rows, files, rejected))
    return out


def _summary(_: argparse.Namespace) -> None:
    from dagster_project.defs.resources import warehouse_path

    rows = summary_table()
    width = max(len(r[0]) for r in rows)
    print(f"\nwarehouse: {warehouse_path()}")
    print(f"{'raw table':<{width}}  {'rows':>10}  {'files':>5}  {'rejected':>8}")
    for table, n, files, rejected in rows:
        print(f"{table:<{width}}  {n:>10,}  {files:>5}  {rejected:>8,}")
    print(
        f"{'total':<{width}}  {sum(r[1] for r in rows):>10,}  {sum(r[2] for r in rows):>5}  "
        f"{sum(r[3] for r in rows):>8,}"
    )


def _run(args: argparse.Namespace) -> int:
    from dagster_project.defs.resources import landing_path

    landing = landing_path()
    if args.regenerate or not landing.exists() or not any(landing.rglob("*.*")):
        _generate(args)
    _freshness_as_of_sample(landing, args)
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.defs.resources import warehouse_path

    # dbt's own output (dagster-dbt echoes it to stdout) goes to a log file beside the warehouse
    log = warehouse_path().parent / "logs" / "rjw_run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with (
        dg.DagsterInstance.get() if _has_home() else dg.DagsterInstance.ephemeral() as inst,
        log.open("w") as out,
        contextlib.redirect_stdout(out),
    ):
        result = defs.resolve_job_def("warehouse_build").execute_in_process(
            instance=inst,
            raise_on_error=False,
            # step-by-step events go to the run log (dagster dev shows them); print warnings only
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    seconds = time.perf_counter() - t0
    print(f"dbt output: {log}")
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    _summary(args)
    status = "succeeded" if result.success else f"FAILED (steps: {', '.join(failed)})"
    print(f"\npipeline {status} in {seconds:.1f} s (run {result.run_id})")
    _print_outputs()
    return 0 if result.success else 1


def _print_outputs() -> None:
    """Where the run's outputs are, for the ones that exist."""
    from dagster_project.defs.resources import reports_path, serving_path
    from dagster_project.lib.html.quality_report import REPORT_NAME
    from dagster_project.lib.html.revenue_report import REPORT_FILE
    from dagster_project.lib.serving.snapshot import SNAPSHOT_FILE

    for label, path in [
        ("revenue report", reports_path() / REPORT_FILE),
        ("quality report", reports_path() / REPORT_NAME),
        ("analysts' snapshot (read-only DuckDB)", serving_path() / SNAPSHOT_FILE),
    ]:
        if path.exists():
            print(f"{label}: {path}")


def _freshness_as_of_sample(landing: Path, args: argparse.Namespace) -> None:
    """Sample data is a fixed window (byte-identical per seed), so on it the freshness checks
    are measured as of the sample's last export rather than today; real data is left alone."""
    import json
    import os

    from dagster_project.lib.quality.suite import FRESHNESS_AS_OF_ENV

    truth = Path(args.truth) if args.truth else landing.parent / "truth"
    if os.environ.get(FRESHNESS_AS_OF_ENV) or not (truth / "summary.json").exists():
        return
    summary = json.loads((truth / "summary.json").read_text())
    generated = {f["file"] for f in summary["files"]}
    landed = {p.relative_to(landing).as_posix() for p in landing.rglob("*.*") if p.is_file()}
    if landed <= generated:
        as_of = f"{summary['config']['end']}T14:00:00+00:00"
        os.environ[FRESHNESS_AS_OF_ENV] = as_of
        print(f"sample data: freshness measured as of its last export, {as_of}")


def _serving(args: argparse.Namespace) -> int:
    from dagster_project.defs.resources import serving_path
    from dagster_project.lib.serving import snapshot

    folder = serving_path()
    if args.serving_command == "rollback":
        try:
            manifest = snapshot.rollback(folder)
        except FileNotFoundError as exc:
            print(f"rollback impossible: {exc}", file=sys.stderr)
            return 1
        print(
            f"now serving the snapshot of run {manifest['run_id']} published at "
            f"{manifest['published_at']} ({folder / snapshot.SNAPSHOT_FILE})"
        )
        return 0
    for label, manifest in snapshot.status(folder).items():
        if manifest is None:
            print(f"{label}: none")
            continue
        rows = sum(manifest["tables"].values())
        print(
            f"{label}: {manifest['snapshot']}\n  run {manifest['run_id']}, published "
            f"{manifest['published_at']}, {len(manifest['tables'])} tables, {rows:,} rows, "
            f"PII {manifest['pii_mode']}"
        )
    return 0


def _has_home() -> bool:
    import os

    return bool(os.environ.get("DAGSTER_HOME"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="rjw", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "run"):
        p = sub.add_parser(name)
        p.add_argument(
            "--accounts",
            type=int,
            default=DEFAULT_ACCOUNTS,
            help="scale knob: number of companies (default %(default)s)",
        )
        p.add_argument("--seed", type=int, default=42)
        p.add_argument(
            "--malformed-rate",
            type=float,
            default=0.0005,
            help="share of rows written malformed in the larger exports",
        )
        p.add_argument("--truth", help="ground-truth folder (default: beside the landing zone)")
        if name == "run":
            p.add_argument(
                "--regenerate",
                action="store_true",
                help="write fresh sample data even if the landing zone has files",
            )
    sub.add_parser("summary")
    serving = sub.add_parser("serving", help="the analysts' read-only DuckDB snapshot")
    serving.add_argument("serving_command", choices=["status", "rollback"])
    args = parser.parse_args(argv)
    if args.command == "generate":
        _generate(args)
        return 0
    if args.command == "summary":
        _summary(args)
        return 0
    if args.command == "serving":
        return _serving(args)
    return _run(args)


if __name__ == "__main__":
    sys.exit(main())
