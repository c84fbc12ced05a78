"""How close the warehouse's attribution and sourcing come to the generator's ground truth.

Pure scoring on DataFrames (the benchmark ``dagster_project.benchmarks.model_quality`` reads
the warehouse and the truth files and prints what these return):

* ``share_deviation``: each model's share of pipeline per channel against the share of the
  deals' true sourcing channel, and the total absolute deviation (0 = perfect, 2 = every dollar
  on the wrong channel).
* ``sourcing_confusion``: per deal, marketing- vs sales-sourced and the sourcing channel in the
  warehouse against the truth.

Channels: the truth files already carry the warehouse's reporting channels (the generator's
eleven channel keys roll up to them: meta and linkedin -> paid_social, event and webinar ->
events_webinars; the rest keep their names), so channels compare by name. The one bucket with
different names is "no marketing": a sales-sourced deal in the truth (no channel), the
warehouse's '(sales-sourced)' sourcing channel, the rule-based models' '(no marketing touch)'
and the data-driven models' '(no touch)'; all become ``NO_MARKETING``. Sub-channels are not
compared: the taxonomies differ there (truth google_search, warehouse google_ads).
"""

from __future__ import annotations

import pandas as pd

NO_MARKETING = "(sales-sourced)"
NO_MARKETING_LABELS = frozenset({"(sales-sourced)", "(no marketing touch)", "(no touch)"})
# the ten models of marts.attribution_model_comparison, in its column order
MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)
TOTAL = "total_abs_deviation"


def normalise_channel(channel: object) -> str:
    """The channel in the warehouse's reporting taxonomy; no channel (a sales-sourced deal) and
    every "no marketing touch" label become ``NO_MARKETING``."""
    if channel is None or (isinstance(channel, float) and pd.isna(channel)):
        return NO_MARKETING
    name = str(channel).strip()
    return NO_MARKETING if not name or name in NO_MARKETING_LABELS else name


def true_shares(deals: pd.DataFrame) -> pd.Series:
    """Share of pipeline per true sourcing channel.

    ``deals``: one row per opportunity with ``true_channel`` (None for sales-sourced) and
    ``amount``.
    """
    channel = deals["true_channel"].map(normalise_channel)
    amounts = deals["amount"].astype(float).groupby(channel).sum()
    return (amounts / amounts.sum()).rename("truth")


def model_shares(credits: pd.DataFrame) -> pd.DataFrame:
    """Each model's share of pipeline per channel: one row per model, one column per channel,
    rows summing to 1.

    ``credits``: long rows of ``attribution_model``, ``channel``, ``credited_amount``.
    """
    frame = credits.assign(
        channel=credits["channel"].map(normalise_channel),
        credited_amount=credits["credited_amount"].astype(float),
    )
    amounts = frame.pivot_table(
        index="attribution_model",
        columns="channel",
        values="credited_amount",
        aggfunc="sum",
        fill_value=0.0,
    )
    amounts.columns.name = None
    amounts.index.name = "attribution_model"
    return amounts.div(amounts.sum(axis=1), axis=0)


def share_deviation(shares: pd.DataFrame, truth: pd.Series) -> pd.DataFrame:
    """Signed deviation (model share - true share) per model and channel, plus ``TOTAL``, the
    sum of their absolute values; sorted best first. Channels either side lacks count as 0."""
    channels = _channel_order(truth, shares.columns)
    model = shares.reindex(columns=channels, fill_value=0.0)
    deviation = model - truth.reindex(channels, fill_value=0.0)
    deviation[TOTAL] = deviation.abs().sum(axis=1)
    return deviation.sort_values([TOTAL]).rename_axis("attribution_model")


def _channel_order(truth: pd.Series, other: pd.Index) -> list[str]:
    """No-marketing bucket first, then the truth's channels by share, then the rest by name."""
    ranked = [c for c in truth.sort_values(ascending=False).index if c != NO_MARKETING]
    extra = sorted(set(other) - set(truth.index) - {NO_MARKETING})
    return [NO_MARKETING, *ranked, *extra]


def sourcing_confusion(warehouse: pd.DataFrame, truth: pd.DataFrame, top: int = 8) -> dict:
    """Warehouse sourcing against the truth, per deal.

    ``warehouse``: ``opportunity_id``, ``sourced_by`` (marketing/sales), ``sourcing_channel``,
    ``amount``. ``truth``: ``opportunity_id``, ``sourced_by``, ``true_channel``. Deals in only
    one of them are counted (``unmatched_*``) and left out of the matrices.

    Returns the 2x2 ``sourced_by`` matrices (rows: truth, columns: warehouse) of deal counts
    and amounts, the agreement rates by deals and by amount, the marketing-sourced share of
    pipeline either way, and the same per channel: the count matrix, the agreement rate and the
    ``top`` largest confusions (truth channel, warehouse channel, deals, amount).
    """
    deals = warehouse.merge(
        truth, on="opportunity_id", how="inner", suffixes=("_warehouse", "_truth")
    )
    deals = deals.assign(
        amount=deals["amount"].astype(float),
        channel_truth=deals["true_channel"].map(normalise_channel),
        channel_warehouse=deals["sourcing_channel"].map(normalise_channel),
    )
    sides = ["marketing", "sales"]
    counts = pd.crosstab(deals["sourced_by_truth"], deals["sourced_by_warehouse"])
    counts = counts.reindex(index=sides, columns=sides, fill_value=0)
    amounts = deals.pivot_table(
        index="sourced_by_truth",
        columns="sourced_by_warehouse",
        values="amount",
        aggfunc="sum",
        fill_value=0.0,
    ).reindex(index=sides, columns=sides, fill_value=0.0)
    for matrix in (counts, amounts):
        matrix.index.name, matrix.columns.name = "truth", "warehouse"
    agree = deals["sourced_by_truth"] == deals["sourced_by_warehouse"]
    total = deals["amount"].sum()

    channels = _channel_order(
        deals.groupby("channel_truth")["amount"].sum(), pd.Index(deals["channel_warehouse"])
    )
    channel_counts = pd.crosstab(deals["channel_truth"], deals["channel_warehouse"]).reindex(
        index=channels, columns=channels, fill_value=0
    )
    channel_counts.index.name, channel_counts.columns.name = "truth", "warehouse"
    same_channel = deals["channel_truth"] == deals["channel_warehouse"]
    wrong = deals[~same_channel]
    confusions = (
        wrong.groupby(["channel_truth", "channel_warehouse"])["amount"]
        .agg(["size", "sum"])
        .rename(columns={"size": "deals", "sum": "amount"})
        .sort_values(["deals", "amount"], ascending=False)
        .head(top)
        .reset_index()
        .rename(columns={"channel_truth": "truth", "channel_warehouse": "warehouse"})
    )
    return {
        "deals": len(deals),
        "unmatched_warehouse": int(
            (~warehouse["opportunity_id"].isin(truth["opportunity_id"])).sum()
        ),
        "unmatched_truth": int((~truth["opportunity_id"].isin(warehouse["opportunity_id"])).sum()),
        "sourced_by_counts": counts,
        "sourced_by_amounts": amounts,
        "sourced_by_agreement": float(agree.mean()) if len(deals) else float("nan"),
        "sourced_by_amount_agreement": (
            float(deals.loc[agree, "amount"].sum() / total) if total else float("nan")
        ),
        "marketing_share_truth": float(amounts.loc["marketing"].sum() / total) if total else 0.0,
        "marketing_share_warehouse": (float(amounts["marketing"].sum() / total) if total else 0.0),
        "channel_counts": channel_counts,
        "channel_agreement": float(same_channel.mean()) if len(deals) else float("nan"),
        "channel_amount_agreement": (
            float(deals.loc[same_channel, "amount"].sum() / total) if total else float("nan")
        ),
        "top_confusions": confusions,
    }
