"""``rjw``: generate sample data, run the whole pipeline, print what landed.

rjw generate [--accounts N] [--seed S]   write sample exports into the landing zone
rjw run [--accounts N] [--regenerate]    generate if the landing zone is empty, run everything
                                         (nothing new since the last build: no run, freshness)
rjw run --api-standins                   the same night with CRM, ads and billing extracted from
                                         local stand-ins of their APIs serving the sample world
rjw summary                              row counts of the raw tables and the rejects
rjw serving status                       the analysts' DuckDB snapshot and the one before it
rjw serving rollback                     serve the previous snapshot again (run twice to undo)
rjw prepare                              parse the dbt project (the manifest of the assets)
rjw ui                                   the Dagster UI on the run history of `rjw run`
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

from dagster_project.lib.settings import Settings

DEFAULT_ACCOUNTS = 1000


def _generate(args: argparse.Namespace, settings: Settings) -> dict:
    from dagster_project.generate import generate

    landing = settings.landing
    truth = Path(args.truth) if args.truth else landing.parent / "truth"
    t0 = time.perf_counter()
    if getattr(args, "days", None):  # the next nights of delta exports (`rjw run` has none)
        from dagster_project.generate import generate_days

        summary = generate_days(
            landing, truth, days=args.days, seed=args.seed, malformed_rate=args.malformed_rate
        )
        for night in summary["nights"][-args.days :]:
            files = night["files"]
            rows = sum(f["rows"] for f in files)
            print(f"night {night['night']} ({night['day']}): {rows:,} rows in {len(files)} files")
        print(
            f"wrote {args.days} nights of delta exports into {landing} "
            f"({time.perf_counter() - t0:.1f} s; ground truth in {truth})"
        )
        return summary
    summary = generate(
        landing, truth, accounts=args.accounts, seed=args.seed, malformed_rate=args.malformed_rate
    )
    rows = sum(f["rows"] for f in summary["files"])
    print(
        f"generated {rows:,} rows in {len(summary['files'])} files into {landing} "
        f"({time.perf_counter() - t0:.1f} s; ground truth in {truth})"
    )
    return summary


def summary_table(warehouse: Path) -> list[tuple[str, int, int, int]]:
    """(raw table, rows, files, rejected rows) for every landing contract."""
    import duckdb

    from dagster_project.lib.landing.contracts import CONTRACTS

    out = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for c in CONTRACTS.values():
            rows = con.execute(f"select count(*) from {c.table}").fetchone()[0]
            files, rejected = con.execute(
                "select count(*), coalesce(sum(rows_rejected), 0) from raw_meta.current_files "
                "where table_name = ?",
                [c.table],
            ).fetchone()
            out.append((c.table, rows, files, rejected))
    return out


def _summary(settings: Settings) -> None:
    rows = summary_table(settings.warehouse)
    width = max(len(r[0]) for r in rows)
    print(f"\nwarehouse: {settings.warehouse}")
    print(f"{'raw table':<{width}}  {'rows':>10}  {'files':>5}  {'rejected':>8}")
    for table, n, files, rejected in rows:
        print(f"{table:<{width}}  {n:>10,}  {files:>5}  {rejected:>8,}")
    print(
        f"{'total':<{width}}  {sum(r[1] for r in rows):>10,}  {sum(r[2] for r in rows):>5}  "
        f"{sum(r[3] for r in rows):>8,}"
    )


def _push_summary(settings: Settings) -> None:
    """What the write-back pushed (or, as a dry-run, wrote to files) in this run."""
    import duckdb

    from dagster_project.lib.connectors.push_state import last_push

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = last_push(con)
    if not rows:
        return
    print("\nwrite-back: records / conversions to send, sent, accepted, refused, too old")
    for r in rows:
        print(
            f"  {r['target']:<12} {r['object']:<15} {r['mode']:<8} {r['rows_pending']:>7,} "
            f"{r['rows_sent']:>7,} {r['rows_succeeded']:>7,} {r['rows_failed']:>5,} "
            f"{r['rows_expired']:>7,}"
        )


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder of ``rjw``: ``DAGSTER_HOME`` if set, else ``dagster_home/``
    beside the warehouse (``data/dagster_home``), with the production instance settings."""
    home = settings.dagster_home or settings.warehouse.parent / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        from dagster_project.lib.paths import REPO_ROOT

        template = REPO_ROOT / "dagster_project" / "deploy" / "dagster.yaml"
        config.write_text(template.read_text())
    return home


def prepare(settings: Settings) -> Path:
    """Parse the dbt project so the asset graph matches the dbt files."""
    from dagster_project.defs.resources import prepare_dbt_manifest

    return prepare_dbt_manifest(settings.warehouse, settings.duckdb_memory_limit)


def _nothing_new(settings: Settings) -> bool:
    """True (and says so) when tonight has nothing to do: every landing file is loaded and the
    last dbt build is current (lib/night_check.py); then no Dagster run is started and the
    freshness of each source is printed instead."""
    from dagster_project.defs.resources import dbt_project, dbt_vars
    from dagster_project.lib.build_state import project_fingerprint
    from dagster_project.lib.landing.watch import WarehouseBusy
    from dagster_project.lib.night_check import check_night

    t0 = time.perf_counter()
    spark_dir = settings.spark_dir if settings.dbt_target == "spark" else None
    fingerprint = project_fingerprint(
        dbt_project.project_dir, dbt_vars(settings.warehouse, spark_dir=spark_dir)
    )
    try:
        night = check_night(
            settings.warehouse, settings.landing, fingerprint, settings.quality, settings.api.modes
        )
    except WarehouseBusy:
        return False  # a writer holds the warehouse: the run will wait for it or say why
    if not night.nothing_new:
        print(f"to do: {night.reason}")
        return False
    seconds = time.perf_counter() - t0
    stale = night.stale
    print(
        f"pipeline skipped in {seconds:.1f} s: {night.reason}; no run started "
        "(`rjw run --rebuild` forces one)"
    )
    print(
        f"freshness: {len(night.freshness) - len(stale)} of {len(night.freshness)} sources "
        "within their allowed age" + (", older than allowed:" if stale else "")
    )
    for finding in stale:
        print(f"  {finding.message}")
    _print_outputs(settings)
    return True


def _run(args: argparse.Namespace, settings: Settings) -> int:
    landing = settings.landing
    generated = args.regenerate or not landing.exists() or not any(landing.rglob("*.*"))
    if generated:
        # in a process of its own: the simulated world (GiBs at 100,000 accounts) is not kept
        # by the process that then runs the night
        command = [sys.executable, "-m", "dagster_project.cli", "generate"]
        command += ["--accounts", str(args.accounts), "--seed", str(args.seed)]
        command += ["--malformed-rate", str(args.malformed_rate)]
        command += ["--truth", args.truth] if args.truth else []
        sys.stdout.flush()
        if code := subprocess.call(command):
            return code
    settings = _freshness_as_of_sample(settings, args)
    standins = None
    if args.api_standins:
        from dagster_project.standins.server import StandIns, standin_settings

        t0 = time.perf_counter()
        standins = StandIns.from_landing(settings.landing).start()
        settings = standin_settings(settings, standins)
        print(
            f"API stand-ins serving the sample world ({time.perf_counter() - t0:.1f} s): "
            + ", ".join(f"{api} {standins.url(api)}" for api in settings.api.apis_in_use)
        )
    try:
        return _night(args, settings, generated, standins)
    finally:
        if standins is not None:
            standins.stop()


def _night(args: argparse.Namespace, settings: Settings, generated: bool, standins) -> int:  # noqa: ANN001
    if not generated and not args.rebuild and _nothing_new(settings):
        return 0
    prepare(settings)
    import dagster as dg

    from dagster_project.definitions import build_definitions
    from dagster_project.defs.transform.dbt import FORCE_BUILD_TAG

    # dbt's own output (dagster-dbt echoes it to stdout) goes to a log file beside the warehouse
    log = settings.warehouse.parent / "logs" / "rjw_run.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    home = dagster_home(settings)
    t0 = time.perf_counter()
    with (
        dg.DagsterInstance.from_config(str(home)) as inst,
        log.open("w") as out,
        contextlib.redirect_stdout(out),
    ):
        result = (
            build_definitions(settings)
            .resolve_job_def("warehouse_build")
            .execute_in_process(
                instance=inst,
                raise_on_error=False,
                tags={FORCE_BUILD_TAG: "always"} if args.rebuild else None,
                # step-by-step events go to the run log (dagster dev shows them); print warnings
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
        )
    seconds = time.perf_counter() - t0
    print(f"dbt output: {log}")
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    _summary(settings)
    _push_summary(settings)
    status = "succeeded" if result.success else f"FAILED (steps: {', '.join(failed)})"
    print(f"\npipeline {status} in {seconds:.1f} s (run {result.run_id})")
    if standins is not None:
        _api_summary(result, standins)
    print(f"run history: {home} (see it with `rjw ui`)")
    _print_outputs(settings)
    return 0 if result.success else 1


def _api_summary(result, standins) -> None:  # noqa: ANN001
    """Per API: requests made, records returned, seconds of its extract steps."""
    from dagster_project.lib.connectors.registry import api_of
    from dagster_project.standins.server import request_summary

    seconds: dict[str, float] = {}
    for event in result.all_events:
        if event.is_step_success:
            _, system, obj = ([*event.step_key.split("__"), "", ""])[:3]
            if api := api_of(system, obj):
                ms = event.event_specific_data.duration_ms or 0
                seconds[api] = seconds.get(api, 0.0) + ms / 1000
    print("API extracts (stand-ins): requests, records returned, seconds")
    for api, row in sorted(request_summary(standins.requests).items()):
        print(
            f"  {api:<13} {row['requests']:>5} requests ({row['errors']} answered with an error), "
            f"{row['records']:>7} records, {seconds.get(api, 0.0):6.1f} s"
        )


def _print_outputs(settings: Settings) -> None:
    """Where the run's outputs are, for the ones that exist."""
    from dagster_project.lib.html.quality_report import REPORT_NAME
    from dagster_project.lib.html.revenue_report import REPORT_FILE
    from dagster_project.lib.serving.snapshot import SNAPSHOT_FILE

    for label, path in [
        ("revenue report", settings.reports / REPORT_FILE),
        ("quality report", settings.reports / REPORT_NAME),
        ("analysts' snapshot (read-only DuckDB)", settings.serving / SNAPSHOT_FILE),
        ("write-back payloads (Salesforce, ad platforms)", settings.writeback),
    ]:
        if path.exists():
            print(f"{label}: {path}")


def _freshness_as_of_sample(settings: Settings, args: argparse.Namespace) -> Settings:
    """Sample data is a fixed window (byte-identical per seed), so on it the freshness checks
    are measured as of the sample's last export rather than today; real data is left alone."""
    import json
    from datetime import datetime

    landing = settings.landing
    truth = Path(args.truth) if args.truth else landing.parent / "truth"
    if settings.quality.freshness_as_of or not (truth / "summary.json").exists():
        return settings
    summary = json.loads((truth / "summary.json").read_text())
    generated = {f["file"] for f in summary["files"]}
    landed = {p.relative_to(landing).as_posix() for p in landing.rglob("*.*") if p.is_file()}
    if not landed <= generated:
        return settings
    as_of = datetime.fromisoformat(f"{summary['config']['end']}T14:00:00+00:00")
    print(f"sample data: freshness measured as of its last export, {as_of.isoformat()}")
    # and the ad platforms' age limits on conversions, as if the push ran that day
    push = settings.push if settings.push.as_of else replace(settings.push, as_of=as_of.isoformat())
    return replace(settings, quality=replace(settings.quality, freshness_as_of=as_of), push=push)


def _ui(settings: Settings) -> int:
    """``dagster dev`` on the instance ``rjw run`` records its runs in."""
    from dagster_project.lib.paths import REPO_ROOT

    home = dagster_home(settings)
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-w", str(REPO_ROOT / "workspace.yaml")]
    print(f"Dagster UI with the run history in {home}")
    return subprocess.call(command, env={**os.environ, "DAGSTER_HOME": str(home)})


def _serving(args: argparse.Namespace, settings: Settings) -> int:
    from dagster_project.lib.serving import snapshot

    folder = settings.serving
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


def main(argv: list[str] | None = None) -> int:
    # pyspark (the Spark extra) warns about pandas 3 when a library probes for it; the warehouse
    # hands Spark no pandas frame but the data-driven credit's 60 rows
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
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
        if name == "generate":
            p.add_argument(
                "--days",
                type=int,
                help="write the next N nights of delta exports after those in the landing zone "
                "(continues the generated world; --accounts is ignored)",
            )
        if name == "run":
            p.add_argument(
                "--regenerate",
                action="store_true",
                help="write fresh sample data even if the landing zone has files",
            )
            p.add_argument(
                "--api-standins",
                action="store_true",
                help="extract CRM, ads and billing from local stand-ins of their APIs (Salesforce,"
                " Stripe, Google Ads, Meta, LinkedIn) that serve the sample world, instead of "
                "loading those objects' files",
            )
            p.add_argument(
                "--rebuild",
                action="store_true",
                help="run the dbt build even when nothing changed since the last one (a night "
                "with no new load and the same dbt project skips it)",
            )
    sub.add_parser("summary")
    sub.add_parser("prepare", help="parse the dbt project (writes dbt/target/manifest.json)")
    sub.add_parser("ui", help="the Dagster UI on rjw's instance (run history of `rjw run`)")
    serving = sub.add_parser("serving", help="the analysts' read-only DuckDB snapshot")
    serving.add_argument("serving_command", choices=["status", "rollback"])
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "generate":
        _generate(args, settings)
        return 0
    if args.command == "summary":
        _summary(settings)
        return 0
    if args.command == "serving":
        return _serving(args, settings)
    if args.command == "prepare":
        print(f"dbt manifest: {prepare(settings)}")
        return 0
    if args.command == "ui":
        return _ui(settings)
    return _run(args, settings)


if __name__ == "__main__":
    sys.exit(main())
