"""Jobs (and, later, schedules and sensors) over the asset graph."""

import dagster as dg

# The whole graph: extract every source object, then build and test the dbt models.
warehouse_job = dg.define_asset_job(
    "warehouse_build",
    selection=dg.AssetSelection.all(),
    description="Load new landing files into the raw schemas, then `dbt build` the models.",
)

jobs = [warehouse_job]
