"""dbt models as Dagster assets (dagster-dbt): ``dbt build`` so dbt tests run as asset checks."""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_dbt.dbt_project import using_dagster_dev

from dagster_project.defs.resources import WAREHOUSE_ENV, dbt_cli, dbt_project, warehouse_path


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(
        p.stat().st_mtime > built
        for p in dbt_project.project_dir.rglob("*")
        if p.suffix in {".sql", ".yml", ".yaml", ".csv"} and "target" not in p.parts
    )


def ensure_manifest() -> None:
    """Parse the dbt project when its manifest is missing or older than a project file, and on
    every `dagster dev` load, so the asset graph always matches the dbt files."""
    # dbt reads the warehouse path from the environment; an identical profile at parse and at
    # build time keeps dbt's partial parsing valid
    os.environ[WAREHOUSE_ENV] = str(warehouse_path())
    if using_dagster_dev() or _manifest_is_stale():
        dbt_cli().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()


ensure_manifest()


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt sources map to the extract assets (``raw/<system>/<object>``); models keep their dbt
    name and are grouped by layer (staging, intermediate, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        explicit = dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key")
        if explicit:  # e.g. the data-driven attribution table a Python asset writes
            return dg.AssetKey(explicit)
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(
                ["raw", dbt_resource_props["source_name"], dbt_resource_props["name"]]
            )
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


# Models tagged `needs_data_driven` read what the Python data-driven attribution asset writes,
# which itself reads dbt models: they are a second dbt asset definition that runs after it.
AFTER_DATA_DRIVEN = "tag:needs_data_driven"


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # dbt runs in a subprocess and reads the warehouse path from the environment
    os.environ[WAREHOUSE_ENV] = str(warehouse_path())
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_models",
    exclude=AFTER_DATA_DRIVEN,
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Builds and tests the dbt models (staging, intermediate, marts) in the warehouse."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=WarehouseTranslator(),
    name="dbt_models_after_data_driven",
    select=AFTER_DATA_DRIVEN,
)
def dbt_models_after_data_driven(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Builds and tests the marts that combine rule-based and data-driven attribution."""
    yield from _build(context, dbt)
