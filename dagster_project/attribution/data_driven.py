"""Markov and Shapley credit for every conversion type of a path table, rounded to cents.

The dbt Python model ``data_driven_channel_credit`` (``dbt/models/marts/attribution/``) calls
:func:`data_driven_credit` on ``marts.attribution_paths``; the result is the table
``attribution.data_driven_channel_credit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.attribution.markov import markov_attribution
from dagster_project.attribution.shapley import shapley_attribution

COLUMNS = [
    "conversion_type",
    "attribution_model",
    "channel",
    "removal_effect",
    "shapley_value",
    "credit_share",
    "attributed_conversions",
    "attributed_value",
]


def cents_adding_up(values: pd.Series, total: float) -> pd.Series:
    """Round to cents so that the parts add up to the total exactly (largest remainder).

    The exact shares are rounded to a millionth of a cent first and equal remainders keep the
    order of ``values``: two halves of a cent are a tie, whatever the last bits of the floating-
    point sums behind them (which vary with the order the path rows arrive in)."""
    total_cents = round(total * 100)
    raw = np.round(values.fillna(0).to_numpy() * 100, 6)
    floors = np.floor(raw)
    leftover = int(total_cents - floors.sum())
    order = np.argsort(-np.round(raw - floors, 6), kind="stable")
    floors[order[: max(leftover, 0)]] += 1
    return pd.Series(floors / 100, index=values.index)


def data_driven_credit(paths: pd.DataFrame) -> pd.DataFrame:
    """Markov and Shapley credit for every conversion type of a path table with columns
    conversion_type, path, conversions, conversion_value, null_count.

    Markov removal effects come from the absorbing chain of converting and non-converting
    paths; the value is split by the same shares as the conversions. Shapley uses the
    total-conversions game (Zhao et al.'s simplified Shapley: each converting journey's credit
    shared equally by its distinct channels), which only sees converting journeys: the
    conversion-rate game also learns from the non-converting ones, but on this data it gives
    nurture channels large negative credit (email about -80 % of pipeline), which no marketer
    can act on. Attributed values are rounded to cents that add up to the path table's total
    (a tie between remainders goes to the channel first by name). The paths are sorted first, so
    the result does not depend on the order the rows arrive in."""
    frames = []
    paths = paths.sort_values(["conversion_type", "path"], kind="stable", ignore_index=True)
    for conversion_type, group in paths.groupby("conversion_type", sort=True):
        table = group[["path", "conversions", "conversion_value", "null_count"]]
        total_value = float(table.conversion_value.sum())
        for model, credit in (
            ("markov", markov_attribution(table)),
            ("shapley", shapley_attribution(table, characteristic="total")),
        ):
            credit = credit.assign(attribution_model=model, conversion_type=conversion_type)
            credit["attributed_value"] = cents_adding_up(credit.attributed_value, total_value)
            frames.append(credit)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(columns={"attributed_share": "credit_share"})
    for column in COLUMNS:
        if column not in out:
            out[column] = None
    return out[COLUMNS]
