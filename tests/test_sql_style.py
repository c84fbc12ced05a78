"""The dbt project's SQL follows the team style (dbt/.sqlfluff: jaffle-shop conventions, dbt
templater, DuckDB dialect): sqlfluff lints every model and singular test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_project.defs.resources import DBT_PROJECT_DIR


def test_sqlfluff_finds_nothing_to_fix(tmp_path):
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    # the dbt templater compiles the project: point it at a scratch warehouse, not data/
    env = {**os.environ, "RJW_DUCKDB_PATH": str(tmp_path / "lint.duckdb")}
    # one process: sqlfluff's worker pool once hung for the whole timeout when a worker died
    # (a clean-clone CI run on 2026-11-30); the dbt templater's compile dominates anyway
    out = subprocess.run(
        [str(sqlfluff), "lint", "models", "tests", "--processes", "1", "--nofail"]
        + ["--format", "github-annotation-native"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    violations = [
        line
        for line in out.stdout.splitlines()
        if line.startswith(("::warning", "::error", "::notice"))
    ]
    assert violations == [], "\n".join(violations[:50])
