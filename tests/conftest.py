"""Shared fixtures: a small generated world and a private DuckDB file per test."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import LandingZone, PostgresTarget, ServingTarget, dbt_cli
from dagster_project.defs.sources import ads, billing, crm
from dagster_project.generate import generate

EXTRACT_ASSETS = [*crm.assets, *ads.assets, *billing.assets]

SMALL = {"accounts": 150, "seed": 7}
# when the sample world's last export ran (generate.world.WorldConfig.end, delta at 14:00 UTC)
SAMPLE_AS_OF = "2026-10-31T14:00:00+00:00"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> dict:
    """Landing files and ground truth of a small world, generated once per test session."""
    root = tmp_path_factory.mktemp("world")
    summary = generate(root / "landing", root / "truth", **SMALL)
    return {"landing": root / "landing", "truth": root / "truth", "summary": summary}


@pytest.fixture(autouse=True)
def private_reports(tmp_path, monkeypatch) -> Path:
    """Each test writes HTML reports into its own folder, so a test that runs the pipeline on
    another warehouse never overwrites the session build's reports (or the repo's data/)."""
    path = tmp_path / "reports"
    monkeypatch.setenv("RJW_REPORTS_DIR", str(path))
    return path


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch) -> Path:
    """A private warehouse file for one test, visible to Dagster resources and to dbt."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("RJW_DUCKDB_PATH", str(path))
    return path


def truth_summary(world: dict) -> dict:
    return json.loads((world["truth"] / "summary.json").read_text())


def resources_for(warehouse: Path, landing: Path, serving: Path | None = None) -> dict:
    return {
        "duckdb": DuckDBResource(database=str(warehouse)),
        "landing": LandingZone(root=str(landing)),
        "dbt": dbt_cli(),
        # the analysts' snapshot beside the warehouse; PostgreSQL off (no DSN)
        "serving": ServingTarget(root=str(serving or warehouse.parent / "serving")),
        "postgres": PostgresTarget(),
    }


def pipeline_assets() -> list:
    """Every asset and asset check of the code location, exactly as definitions.py assembles
    them (extract, quality gate, load audit, dbt, data-driven attribution, publish, report)."""
    from dagster_project.definitions import asset_checks, assets

    return [*assets, *asset_checks]


@pytest.fixture(scope="session")
def loaded(small_world, tmp_path_factory):
    """The whole graph (extract, load audit, dbt build) materialised once into a private
    warehouse; tests read it with read-only connections."""
    warehouse = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("RJW_DUCKDB_PATH", str(warehouse))
    reports = warehouse.parent / "reports"
    mp.setenv("RJW_REPORTS_DIR", str(reports))
    # the sample world is a fixed window ending 2026-10-31 (byte-identical files per seed):
    # freshness is measured as of its last export, not as of today
    mp.setenv("RJW_FRESHNESS_AS_OF", SAMPLE_AS_OF)
    result = dg.materialize(
        pipeline_assets(),
        resources=resources_for(warehouse, small_world["landing"]),
    )
    yield {"result": result, "warehouse": warehouse, "world": small_world, "reports": reports}
    mp.undo()
