"""Data-driven attribution: Markov-chain removal effects and Shapley values per channel,
computed in Python from the mart's path table and written back to the warehouse."""

from __future__ import annotations

import time

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from dagster_project.attribution import markov_attribution, shapley_attribution

SCHEMA = "attribution"
TABLE = f"{SCHEMA}.data_driven_channel_credit"
COLUMNS = [
    "conversion_type",
    "attribution_model",
    "channel",
    "removal_effect",
    "credit_share",
    "attributed_conversions",
    "attributed_value",
]


def data_driven_credit(paths: pd.DataFrame) -> pd.DataFrame:
    """Markov and Shapley credit for every conversion type of a path table with columns
    conversion_type, path, conversions, conversion_value, null_count."""
    frames = []
    for conversion_type, group in paths.groupby("conversion_type", sort=True):
        table = group[["path", "conversions", "conversion_value", "null_count"]]
        markov = markov_attribution(table).assign(attribution_model="markov")
        frames.append(markov.assign(conversion_type=conversion_type))
        # the "total" game's Shapley value has a closed form: any number of channels
        shapley = shapley_attribution(table).assign(attribution_model="shapley")
        frames.append(shapley.assign(conversion_type=conversion_type))
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={"attributed_share": "credit_share"})
    for column in COLUMNS:
        if column not in out:
            out[column] = None
    return out[COLUMNS]


@dg.asset(
    key=["attribution", "data_driven_channel_credit"],
    deps=[dg.AssetKey("attribution_paths")],
    group_name="attribution",
    kinds={"python", "duckdb"},
    description="Markov-chain removal-effect and Shapley attribution per conversion type and "
    "channel, learned from converting and non-converting journeys (marts.attribution_paths); "
    f"written to `{TABLE}` in one transaction.",
)
def data_driven_channel_credit(duckdb: DuckDBResource) -> dg.MaterializeResult:
    with duckdb.get_connection() as con:
        paths = con.execute(
            "select conversion_type, path, conversions, cast(conversion_value as double) "
            "as conversion_value, null_count from marts.attribution_paths"
        ).df()
        started = time.perf_counter()
        credit = data_driven_credit(paths)
        seconds = time.perf_counter() - started
        con.execute(f"create schema if not exists {SCHEMA}")
        con.register("credit", credit)
        con.execute("begin transaction")
        con.execute(f"create or replace table {TABLE} as select * from credit")
        con.execute("commit")
        con.unregister("credit")
    summary = credit.pivot_table(
        index="channel",
        columns=["conversion_type", "attribution_model"],
        values="attributed_value",
        aggfunc="sum",
    ).round(0)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(credit),
            "distinct_paths": len(paths),
            "compute_seconds": round(seconds, 3),
            "credit_by_channel": dg.MetadataValue.md(summary.to_markdown()),
        }
    )
