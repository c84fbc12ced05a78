"""dbt models as Dagster assets (dagster-dbt): ``dbt build`` so dbt tests run as asset checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.defs.resources import WAREHOUSE_ENV, dbt_project, warehouse_path

# During `dagster dev` the manifest is re-parsed on every load; elsewhere (tests, the CLI, a fresh
# clone) it is parsed once if missing. Deployments build it ahead with `dbt parse`.
dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    dbt_project.preparer.prepare(dbt_project)


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt sources map to the extract assets (``raw/<system>/<object>``); models keep their dbt
    name and are grouped by layer (staging, intermediate, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(["raw", dbt_resource_props["source_name"],
                                dbt_resource_props["name"]])
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=WarehouseTranslator(),
            name="dbt_models")
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Builds and tests the selected dbt models against the warehouse DuckDB file."""
    # dbt runs in a subprocess and reads the warehouse path from the environment
    os.environ[WAREHOUSE_ENV] = str(warehouse_path())
    yield from dbt.cli(["build"], context=context).stream()
