"""Shared fixtures: a small generated world and a private DuckDB file per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dagster_project.generate import generate

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
