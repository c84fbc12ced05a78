"""Shared fixtures: a small generated world and a private DuckDB file per test."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.resources import (
    AlertWebhook,
    LandingZone,
    PostgresTarget,
    QualityGate,
    ReportsFolder,
    ServingTarget,
    WriteBack,
    dbt_cli,
    prepare_dbt_manifest,
    warehouse_resource,
)
from dagster_project.defs.sources import ads, billing, crm
from dagster_project.generate import generate


def pytest_configure(config) -> None:
    """Parse the dbt project once before the tests import the dbt assets (they are made from its
    manifest), as `rjw run` does."""
    prepare_dbt_manifest()


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


@pytest.fixture
def warehouse_env(tmp_path) -> Path:
    """A private warehouse file for one test (given to Dagster only as a resource: dbt gets it
    from the DuckDB resource)."""
    return tmp_path / "warehouse.duckdb"


def truth_summary(world: dict) -> dict:
    return json.loads((world["truth"] / "summary.json").read_text())


def resources_for(
    warehouse: Path,
    landing: Path,
    serving: Path | None = None,
    reports: Path | None = None,
    freshness_as_of: str = SAMPLE_AS_OF,
) -> dict:
    """Every resource of the code location, for these paths only: nothing comes from the
    environment (the sample world is a fixed window: freshness as of its last export)."""
    return {
        "duckdb": warehouse_resource(warehouse),
        "landing": LandingZone(root=str(landing)),
        "dbt": dbt_cli(),
        # reports and the analysts' snapshot beside the warehouse; PostgreSQL off (no DSN)
        "reports": ReportsFolder(root=str(reports or warehouse.parent / "reports")),
        "quality": QualityGate(freshness_as_of=freshness_as_of),
        "serving": ServingTarget(root=str(serving or warehouse.parent / "serving")),
        "postgres": PostgresTarget(),
        "alerts": AlertWebhook(),
        # the write-back as a dry-run (payload files beside the warehouse), as of the sample's end
        "writeback": WriteBack(root=str(warehouse.parent / "writeback"), as_of=freshness_as_of),
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
    reports = warehouse.parent / "reports"
    # the sample world is a fixed window ending 2026-10-31 (byte-identical files per seed):
    # freshness is measured as of its last export, not as of today (resources_for)
    result = dg.materialize(
        pipeline_assets(),
        resources=resources_for(warehouse, small_world["landing"], reports=reports),
    )
    yield {"result": result, "warehouse": warehouse, "world": small_world, "reports": reports}
