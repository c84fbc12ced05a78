"""Benchmark: the nights an analytics engineer runs, at scale, with the figures the targets name.

    python -m dagster_project.benchmarks.night --accounts 100000
    python -m dagster_project.benchmarks.night --accounts 100000 \\
        --identity-scales 25000,50000,100000,200000 --workdir /scratch/bench

In a scratch folder (a temporary one unless ``--workdir``; nothing touches ``data/``), each
night is a real ``rjw run`` process, so start-up, the Dagster run, the loader, the quality
gates, dbt and the serving assets all count:

1. the full night: sample data generated (``rjw generate``, timed apart), then ``rjw run``:
   everything loaded and built;
2. a one-day night: ``rjw generate --days 1`` writes the next day's delta exports (new records,
   updates, late arrivals, deletions), then ``rjw run``;
3. a nothing-new night: ``rjw run`` again.

For each: wall seconds, the Dagster run's seconds per step (slowest first), peak RSS of the
whole process tree (sampled from /proc every 0.2 s; the dbt subprocess included), and for the
nights that built dbt, its model and test seconds (run_results.json) and the slowest models.

Then, on the full night's build, the orchestration overhead: every model's and test's compiled
SQL (run_results.json) run directly in one DuckDB connection on a copy of the warehouse, in the
order dbt ran them, against dbt's own build time (the dbt Python model is left out of both).

With ``--identity-scales``, the identity step (``int_person_records_linked``) at each scale: the
world generated, the tables identity reads loaded through the real extract assets, ``dbt run
--select +int_person_records_linked``, the model's own seconds, and the ratio per doubling.

Targets on the 2-core reference machine are printed beside the figures; they are not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from dagster_project.defs.resources import warehouse_resource
from dagster_project.lib.paths import DBT_PROJECT_DIR

TARGETS = {
    "full": ("full night", 180.0),
    "one_day": ("one-day night", 30.0),
    "nothing_new": ("nothing-new night", 10.0),
}
TARGET_RSS_GIB = 6.0
TARGET_DOUBLING = 2.3
# the raw tables identity resolution reads (extract assets raw/<system>/<object>)
IDENTITY_OBJECTS = {
    "crm": ["contacts", "leads", "form_submissions", "email_events", "campaign_members", "tasks"],
    "ads": ["google_ads_clicks", "meta_ads_clicks", "linkedin_ads_clicks"],
}


class PeakRss:
    """Peak resident memory of a process and its descendants, sampled from /proc; with when
    it happened (epoch seconds) and how much of it was the process itself (the rest: its
    children, e.g. the dbt subprocess)."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self.peak_at, self.peak_own = 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total, own = self._tree_rss()
            if total > self.peak:
                self.peak, self.peak_own, self.peak_at = total, own, time.time()
            self._stop.wait(self.every)

    def _tree_rss(self) -> tuple[int, int]:
        """(RSS of the process and all its descendants, RSS of the process alone)."""
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            parents[int(entry.name)] = int(fields.get("PPid", "0").strip() or 0)
            rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
        tree, frontier = {self.pid}, [self.pid]
        while frontier:
            parent = frontier.pop()
            children = [p for p, pp in parents.items() if pp == parent and p not in tree]
            tree.update(children)
            frontier.extend(children)
        return sum(rss.get(p, 0) for p in tree), rss.get(self.pid, 0)


def _env(workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RJW_DUCKDB_PATH": str(workdir / "warehouse.duckdb"),
        "RJW_LANDING_DIR": str(workdir / "landing"),
        "RJW_REPORTS_DIR": str(workdir / "reports"),
        "RJW_SERVING_DIR": str(workdir / "serving"),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
    }


def _rjw(workdir: Path, *args: str) -> tuple[float, PeakRss, str]:
    """Run ``rjw <args>`` on the scratch folder: (wall seconds, its peak RSS, output)."""
    (workdir / "dagster_home").mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.cli", *args],
        env=_env(workdir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with PeakRss(proc.pid) as rss:
        out, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"rjw {' '.join(args)} failed:\n{out[-4000:]}")
    return seconds, rss, out


def _last_run(workdir: Path) -> tuple[str, dict[str, tuple[float, float]]]:
    """The latest Dagster run in the scratch instance: its id and (start, end) of each step."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(workdir / "dagster_home")) as instance:
        run = instance.get_runs(limit=1)[0]
        steps = {
            s.step_key: (s.start_time, s.end_time)
            for s in instance.get_run_step_stats(run.run_id)
            if s.start_time and s.end_time
        }
    return run.run_id, steps


def step_at(steps: dict[str, tuple[float, float]], moment: float) -> str | None:
    """The step running at ``moment`` (epoch seconds), if any."""
    return next((key for key, (start, end) in steps.items() if start <= moment <= end), None)


def _run_results(run_id: str) -> dict | None:
    """dbt's run_results.json of the Dagster run (dagster-dbt writes it to a folder named after
    the asset and the run id), or None when the run built no dbt model."""
    found = sorted(
        (DBT_PROJECT_DIR / "target").glob(f"dbt_models-{run_id[:7]}-*/run_results.json"),
        key=lambda p: p.stat().st_mtime,
    )
    return json.loads(found[-1].read_text()) if found else None


def _dbt_split(results: dict) -> dict:
    models = [r for r in results["results"] if r["unique_id"].startswith("model.")]
    tests = [r for r in results["results"] if r["unique_id"].startswith(("test.", "unit_test."))]
    slowest = sorted(models, key=lambda r: -r["execution_time"])[:5]
    return {
        "elapsed": results["elapsed_time"],
        "model_seconds": sum(r["execution_time"] for r in models),
        "test_seconds": sum(r["execution_time"] for r in tests),
        "slowest_models": [(r["unique_id"].split(".")[-1], r["execution_time"]) for r in slowest],
        "slowest_tests": [
            (r["unique_id"].split(".")[-1][:60], r["execution_time"])
            for r in sorted(tests, key=lambda r: -r["execution_time"])[:3]
        ],
    }


def night(workdir: Path, label: str, *args: str) -> dict:
    seconds, rss, out = _rjw(workdir, "run", *args)
    if "\npipeline skipped in " in f"\n{out}":  # nothing new: rjw started no Dagster run
        run_id, spans, results = None, {}, None
    else:
        run_id, spans = _last_run(workdir)
        results = _run_results(run_id)
    pipeline = next(
        (
            float(line.split(" in ")[1].split(" s")[0])
            for line in out.splitlines()
            if line.startswith("pipeline ")
        ),
        None,
    )
    steps = {key: end - start for key, (start, end) in spans.items()}
    return {
        "label": label,
        "wall_seconds": seconds,
        "pipeline_seconds": pipeline,
        "peak_rss_gib": rss.peak / 2**30,
        "peak_rss_own_gib": rss.peak_own / 2**30,
        "peak_rss_step": step_at(spans, rss.peak_at),
        "steps": sorted(steps.items(), key=lambda kv: -kv[1]),
        "dbt": _dbt_split(results) if results else None,
        "run_results": results,
    }


def direct_sql(workdir: Path, results: dict) -> dict:
    """The compiled SQL of every model and test of a dbt build, run in one DuckDB connection
    on a copy of the warehouse, in dbt's order; the Python model is left out of both sides."""
    import shutil

    import duckdb

    copy_dir = workdir / "direct"
    copy_dir.mkdir(exist_ok=True)
    copy = copy_dir / "warehouse.duckdb"  # same file name: the same catalog name in the SQL
    shutil.copy(workdir / "warehouse.duckdb", copy)
    kinds: dict[str, str] = {}
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    for uid, node in manifest["nodes"].items():
        kinds[uid] = node.get("config", {}).get("materialized", "")
        if node.get("language") == "python":
            kinds[uid] = "python"
    dbt_seconds = direct = 0.0
    with duckdb.connect(str(copy)) as con:
        con.execute("set TimeZone = 'UTC'")
        for r in results["results"]:
            uid, sql = r["unique_id"], r.get("compiled_code")
            if not sql or kinds.get(uid) == "python" or uid.startswith(("seed.", "unit_test.")):
                continue
            if uid.startswith("model."):
                kind = "view" if kinds.get(uid) == "view" else "table"
                statement = f"create or replace {kind} {r['relation_name']} as {sql}"
            else:
                statement = f"select count(*) from ({sql}) as test_rows"
            t0 = time.perf_counter()
            con.execute(statement).fetchall()
            direct += time.perf_counter() - t0
            dbt_seconds += r["execution_time"]
    return {"direct_seconds": direct, "dbt_node_seconds": dbt_seconds}


def identity_step(root: Path, accounts: int, seed: int) -> float:
    """Seconds of int_person_records_linked at this scale (its inputs loaded, dbt run)."""
    import dagster as dg

    from dagster_project.defs.resources import LandingZone, warehouse_vars
    from dagster_project.defs.sources import ads, crm

    workdir = root / f"identity_{accounts}"
    workdir.mkdir(parents=True, exist_ok=True)
    _rjw(workdir, "generate", "--accounts", str(accounts), "--seed", str(seed))
    warehouse = workdir / "warehouse.duckdb"
    keys = {
        dg.AssetKey(["raw", system, name])
        for system, names in IDENTITY_OBJECTS.items()
        for name in names
    }
    assets = [a for a in (*crm.assets, *ads.assets) if set(a.keys) & keys]
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = dg.materialize(
        assets,
        resources={
            "duckdb": warehouse_resource(warehouse),
            "landing": LandingZone(root=str(workdir / "landing")),
        },
        run_config=quiet,
    )
    assert result.success
    target = workdir / "dbt_target"
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "run",
            "--select",
            "+int_person_records_linked",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
            "--log-path",
            str(workdir / "dbt_logs"),
            *warehouse_vars(warehouse),
        ],
        cwd=DBT_PROJECT_DIR,
        check=True,
        capture_output=True,
    )
    results = json.loads((target / "run_results.json").read_text())
    return next(
        r["execution_time"]
        for r in results["results"]
        if r["unique_id"].endswith(".int_person_records_linked")
    )


def report(nights: list[dict], overhead: dict | None, identity: dict[int, float]) -> str:
    lines = ["night                 wall s   pipeline s   target s   peak RSS GiB (target 6)"]
    for n in nights:
        name, target = TARGETS[n["label"]]
        lines.append(
            f"{name:20s} {n['wall_seconds']:8.1f} {n['pipeline_seconds'] or 0:12.1f} "
            f"{target:10.0f} {n['peak_rss_gib']:14.2f}"
        )
    for n in nights:
        if n.get("peak_rss_step"):
            children = n["peak_rss_gib"] - n["peak_rss_own_gib"]
            lines.append(
                f"{TARGETS[n['label']][0]}: peak RSS during {n['peak_rss_step']} (rjw process "
                f"{n['peak_rss_own_gib']:.2f} GiB, its children {children:.2f} GiB)"
            )
    for n in nights:
        if not n["steps"]:
            lines.append(f"\n{TARGETS[n['label']][0]}: no Dagster run (nothing new), dbt not run")
            continue
        lines.append(f"\n{TARGETS[n['label']][0]}: slowest steps (s)")
        lines += [f"  {seconds:8.1f}  {step}" for step, seconds in n["steps"][:8]]
        lines.append(f"  {len(n['steps'])} steps, {sum(s for _, s in n['steps']):.1f} s in all")
        dbt = n["dbt"]
        if dbt is None:
            lines.append("  dbt: not run")
            continue
        share = dbt["test_seconds"] / max(dbt["model_seconds"] + dbt["test_seconds"], 1e-9)
        lines.append(
            f"  dbt build {dbt['elapsed']:.1f} s: models {dbt['model_seconds']:.1f} s, "
            f"tests {dbt['test_seconds']:.1f} s ({share:.0%} of node time)"
        )
        lines += [f"    model {s:6.1f}  {m}" for m, s in dbt["slowest_models"]]
        lines += [f"    test  {s:6.1f}  {t}" for t, s in dbt["slowest_tests"]]
    if overhead:
        lines.append(
            f"\norchestration overhead (full night): dbt build {overhead['dbt_elapsed']:.1f} s "
            f"wall, its nodes {overhead['dbt_node_seconds']:.1f} s; the same compiled SQL in "
            f"one DuckDB connection {overhead['direct_seconds']:.1f} s; ratio "
            f"{overhead['dbt_elapsed'] / max(overhead['direct_seconds'], 1e-9):.2f}x"
        )
    if identity:
        lines.append("\nidentity step (int_person_records_linked)")
        previous = None
        for accounts, seconds in sorted(identity.items()):
            ratio = "" if previous is None else f"  x{seconds / previous:.2f} (target <= 2.3)"
            lines.append(f"  {accounts:>8,} accounts {seconds:8.2f} s{ratio}")
            previous = seconds
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--identity-scales", default="", help="comma-separated account counts, e.g. 25000,50000"
    )
    parser.add_argument("--skip-nights", action="store_true", help="only the identity step")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rjw_night_") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        nights: list[dict] = []
        overhead = None
        if not args.skip_nights:
            common = ("--accounts", str(args.accounts), "--seed", str(args.seed))
            # the sample exports first, on their own: the nights measure the pipeline alone
            generated, _, _ = _rjw(workdir, "generate", *common)
            print(f"sample data generated in {generated:.1f} s", flush=True)
            full = night(workdir, "full", *common)
            print(f"full night: {full['wall_seconds']:.1f} s", flush=True)
            nights.append(full)
            if full["run_results"]:
                measured = direct_sql(workdir, full["run_results"])
                overhead = {"dbt_elapsed": full["dbt"]["elapsed"], **measured}
            _rjw(workdir, "generate", "--days", "1")
            nights.append(night(workdir, "one_day", *common))
            print(f"one-day night: {nights[-1]['wall_seconds']:.1f} s", flush=True)
            nights.append(night(workdir, "nothing_new", *common))
        identity = {
            int(scale): identity_step(workdir, int(scale), args.seed)
            for scale in filter(None, args.identity_scales.split(","))
        }
        text = report(nights, overhead, identity)
        print(text)
        if args.json:
            for n in nights:
                n.pop("run_results", None)
            args.json.write_text(
                json.dumps(
                    {"nights": nights, "overhead": overhead, "identity": identity},
                    indent=2,
                    default=str,
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
