"""Shared fixtures: a small generated world and a private DuckDB file per test."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import LandingZone, dbt_cli
from dagster_project.defs.sources import ads, billing, crm
from dagster_project.defs.sources.extract import build_load_audit
from dagster_project.generate import generate

EXTRACT_ASSETS = [*crm.assets, *ads.assets, *billing.assets]

SMALL = {"accounts": 150, "seed": 7}


@pytest.fixture(scope="session")
def small_world(tmp_path_factory) -> dict:
    """Landing files and ground truth of a small world, generated once per test session."""
    root = tmp_path_factory.mktemp("world")
    summary = generate(root / "landing", root / "truth", **SMALL)
    return {"landing": root / "landing", "truth": root / "truth", "summary": summary}


@pytest.fixture
def warehouse_env(tmp_path, monkeypatch) -> Path:
    """A private warehouse file for one test, visible to Dagster resources and to dbt."""
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("RJW_DUCKDB_PATH", str(path))
    return path


def truth_summary(world: dict) -> dict:
    return json.loads((world["truth"] / "summary.json").read_text())


def resources_for(warehouse: Path, landing: Path) -> dict:
    return {
        "duckdb": DuckDBResource(database=str(warehouse)),
        "landing": LandingZone(root=str(landing)),
        "dbt": dbt_cli(),
    }


def pipeline_assets() -> list:
    """Every asset of the code location (extract, load audit, dbt, data-driven attribution)."""
    from dagster_project.defs.transform.data_driven import data_driven_channel_credit
    from dagster_project.defs.transform.dbt import dbt_models, dbt_models_after_data_driven

    return [
        *EXTRACT_ASSETS,
        build_load_audit(EXTRACT_ASSETS),
        dbt_models,
        data_driven_channel_credit,
        dbt_models_after_data_driven,
    ]


@pytest.fixture(scope="session")
def loaded(small_world, tmp_path_factory):
    """The whole graph (extract, load audit, dbt build) materialised once into a private
    warehouse; tests read it with read-only connections."""
    warehouse = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    mp = pytest.MonkeyPatch()
    mp.setenv("RJW_DUCKDB_PATH", str(warehouse))
    result = dg.materialize(
        pipeline_assets(),
        resources=resources_for(warehouse, small_world["landing"]),
    )
    yield {"result": result, "warehouse": warehouse, "world": small_world}
    mp.undo()
