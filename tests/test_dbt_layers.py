"""The dbt model folders are the layers in run order: staging -> intermediate -> core -> marts. A
model reads only its own layer or the ones before it (and seeds); only staging reads sources."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from dagster_project.defs.resources import DBT_EXECUTABLE, DBT_PROJECT_DIR

LAYERS = ("staging", "intermediate", "core", "marts")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("dbt_parse")
    subprocess.run(
        [
            DBT_EXECUTABLE,
            "parse",
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, "RJW_DUCKDB_PATH": str(tmp / "warehouse.duckdb")},
        check=True,
        capture_output=True,
    )
    return json.loads((tmp / "target" / "manifest.json").read_text())


def _models(manifest: dict) -> dict[str, dict]:
    return {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}


def test_every_model_sits_in_a_layer_folder(manifest):
    for node in _models(manifest).values():
        assert node["fqn"][1] in LAYERS, node["original_file_path"]


def test_a_model_reads_only_earlier_layers_seeds_and_only_staging_reads_sources(manifest):
    models = _models(manifest)
    wrong = []
    for node in models.values():
        layer = LAYERS.index(node["fqn"][1])
        for parent in node["depends_on"]["nodes"]:
            kind = parent.split(".")[0]
            reads_source = kind == "source" and layer != 0
            reads_later = kind == "model" and LAYERS.index(models[parent]["fqn"][1]) > layer
            if reads_source or reads_later:
                wrong.append((node["name"], parent))
    assert wrong == []


def test_core_entities_and_data_driven_credit_keep_their_served_names(manifest):
    where = {n["name"]: (n["fqn"][1], n["schema"]) for n in _models(manifest).values()}
    for name in (
        "people",
        "accounts",
        "opportunities",
        "touchpoints",
        "journey_touches",
        "opportunity_journeys",
        "non_converting_journeys",
        "customer_revenue",
    ):
        assert where[name] == ("core", "marts"), name
    assert where["data_driven_channel_credit"] == ("marts", "attribution")
    for name in ("int_conversions_unioned", "int_leads_attributed"):
        assert where[name] == ("marts", "intermediate"), name
