"""Proof that the dbt project gives the same marts on Apache Spark as on DuckDB (CI runs this).

    python -m dagster_project.benchmarks.spark_parity [--accounts 1000] [--workdir DIR]

1. Generates the sample (seed 42) and loads it into a DuckDB warehouse with the loader (the
   landing contracts and rejects are enforced there, once).
2. Builds the seeds and models on DuckDB, copies the raw tables to Parquet (one partition per
   load, lib/landing/parquet_mirror.py) and builds the same project on a local Spark
   (``rjw-dbt build --target spark``); compares every table of ``marts`` and ``attribution``
   (lib/engine_compare.py: equal row counts, every non-floating column identical, money to the
   cent, doubles within 1e-9 absolute or relative).
3. The next night: one more day of delta exports, and one earlier email-events file delivered
   again with its last rows gone (a changed file: its load is replaced, so rows disappear from
   raw). Both engines build incrementally from there (DuckDB: delete+insert; Spark: the
   touchpoints partitions that changed rewritten, the staging tables overwritten) and are
   compared again.

Data tests and unit tests are left out of both builds (``--resource-type seed model``): they
run on DuckDB every night and in the test suite; on Spark each costs a query (a full
``dbt build --target spark`` of the sample, tests included, is timed in the README). Prints
the build times and the comparison; exits 1 when any relation differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.lib import engine_compare
from dagster_project.lib.landing import parquet_mirror
from dagster_project.lib.landing.contracts import CONTRACTS
from dagster_project.lib.landing.loader import load_object
from dagster_project.lib.paths import DBT_PROJECT_DIR

BIN = Path(sys.executable).parent


def load(warehouse: Path, landing: Path) -> int:
    """Every contract's new landing files into ``warehouse``; returns the rows loaded."""
    rows = 0
    with duckdb.connect(str(warehouse)) as con:
        for contract in CONTRACTS.values():
            rows += load_object(con, contract, landing).rows_loaded
    return rows


def dbt(engine: str, warehouse: Path, spark_dir: Path, target_path: Path) -> float:
    """``dbt build`` of the seeds and models on ``engine``; returns the seconds it took."""
    variables = {"warehouse_path": str(warehouse), "spark_dir": str(spark_dir)}
    command = [
        str(BIN / ("rjw-dbt" if engine == "spark" else "dbt")),
        "build",
        "--resource-type",
        "seed",
        "model",
        "--target",
        engine,
        "--vars",
        json.dumps(variables),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path / engine),
        "--quiet",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-60:])
        raise SystemExit(f"dbt build on {engine} failed ({seconds:.0f} s):\n{tail}")
    return seconds


def drop_last_rows(folder: Path, rows: int) -> Path:
    """The newest CSV export in ``folder`` delivered again without its last ``rows`` records."""
    path = sorted(folder.glob("*.csv"))[-1]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-rows]))
    return path


def compare(warehouse: Path, spark_dir: Path, title: str) -> bool:
    results = engine_compare.compare_warehouses(warehouse, spark_dir / "warehouse")
    print(f"\n{title}")
    print(engine_compare.format_report(results))
    return all(r.verdict in (engine_compare.EQUAL, engine_compare.WITHIN) for r in results)


def build_and_compare(title: str, warehouse: Path, spark_dir: Path, target_path: Path) -> bool:
    """Build on DuckDB, copy the new raw loads to Parquet, build on Spark, compare."""
    duck = dbt("duckdb", warehouse, spark_dir, target_path)
    with duckdb.connect(str(warehouse)) as con:
        mirrored = parquet_mirror.sync(con, spark_dir / "raw")
    spark = dbt("spark", warehouse, spark_dir, target_path)
    print(
        f"{title}: DuckDB {duck:.1f} s, Spark {spark:.1f} s; raw tables to Parquet "
        f"{mirrored.seconds:.2f} s ({len(mirrored.written)} load partitions written, "
        f"{len(mirrored.removed)} removed)"
    )
    return compare(warehouse, spark_dir, f"{title}, DuckDB vs Spark:")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--workdir", help="keep the files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rjw-spark-") as scratch:
        work = Path(args.workdir or scratch).resolve()
        work.mkdir(parents=True, exist_ok=True)
        landing, truth = work / "landing", work / "truth"
        warehouse, spark_dir = work / "warehouse.duckdb", work / "spark"
        from dagster_project.generate import generate, generate_days

        started = time.perf_counter()
        generate(landing, truth, accounts=args.accounts, seed=42)
        rows = load(warehouse, landing)
        print(f"sample: {args.accounts:,} accounts, {rows:,} raw rows loaded into DuckDB")
        equal = build_and_compare("full build", warehouse, spark_dir, work / "target")

        generate_days(landing, truth, days=1)
        changed = drop_last_rows(landing / "crm" / "email_events", 25)
        rows = load(warehouse, landing)
        print(f"\nnext night: {rows:,} new raw rows; {changed.name} delivered again, 25 rows fewer")
        equal = (
            build_and_compare("incremental build", warehouse, spark_dir, work / "target") and equal
        )
        verdict = "passed" if equal else "FAILED"
        print(f"\nspark parity: {verdict} in {time.perf_counter() - started:.0f} s")
        return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
