"""Attribution model quality against the ground truth: the scoring functions on hand-made frames,
and the benchmark on the session warehouse."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from dagster_project.benchmarks import model_quality as bench
from dagster_project.generate.channels import CHANNELS
from dagster_project.lib.model_quality import (
    MODELS,
    NO_MARKETING,
    TOTAL,
    model_shares,
    normalise_channel,
    share_deviation,
    sourcing_confusion,
    true_shares,
)

SEED = Path(__file__).resolve().parents[1] / "dbt" / "seeds" / "channel_taxonomy.csv"

DEALS = pd.DataFrame(
    {
        "opportunity_id": ["o1", "o2", "o3", "o4"],
        "sourced_by": ["marketing", "marketing", "marketing", "sales"],
        "true_channel": ["paid_search", "paid_search", "email", None],
        "amount": [100.0, 100.0, 100.0, 100.0],
    }
)


def credits(model: str, amounts: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"attribution_model": model, "channel": list(amounts), "credited_amount": list(amounts)}
    ).assign(credited_amount=list(amounts.values()))


def test_truth_channels_are_warehouse_channels():
    with SEED.open() as f:
        taxonomy = {row["channel"] for row in csv.DictReader(f)}
    assert {c.channel for c in CHANNELS} <= taxonomy
    for label in (None, float("nan"), "", "(no marketing touch)", "(no touch)"):
        assert normalise_channel(label) == NO_MARKETING
    assert normalise_channel("paid_social") == "paid_social"


def test_true_shares_weight_deals_by_amount():
    shares = true_shares(DEALS)
    assert shares.to_dict() == {NO_MARKETING: 0.25, "email": 0.25, "paid_search": 0.5}


def test_a_perfect_model_scores_zero_and_one_wrong_channel_scores_two():
    truth = true_shares(DEALS)
    frame = pd.concat(
        [
            # the rule-based label of the no-touch bucket, amounts in another scale
            credits("perfect", {"paid_search": 20, "email": 10, "(no marketing touch)": 10}),
            credits("all_wrong", {"display": 40}),
            credits("half", {"paid_search": 20, "display": 20}),
        ]
    )
    shares = model_shares(frame)
    assert shares.sum(axis=1).round(12).eq(1).all()
    deviation = share_deviation(shares, truth)
    assert deviation[TOTAL].to_dict() == pytest.approx(
        {"perfect": 0.0, "all_wrong": 2.0, "half": 1.0}
    )
    assert list(deviation.index) == ["perfect", "half", "all_wrong"]  # best first
    assert deviation.loc["all_wrong", "display"] == pytest.approx(1.0)
    assert deviation.loc["all_wrong", "paid_search"] == pytest.approx(-0.5)
    assert list(deviation.columns)[0] == NO_MARKETING


def test_sourcing_confusion_counts():
    warehouse = pd.DataFrame(
        {
            "opportunity_id": ["o1", "o2", "o3", "o4", "o5"],
            "sourced_by": ["marketing", "marketing", "sales", "marketing", "sales"],
            "sourcing_channel": [
                "paid_search",
                "content",
                "(sales-sourced)",
                "email",
                "(sales-sourced)",
            ],
            "amount": [10.0, 20.0, 30.0, 40.0, 50.0],
        }
    )
    truth = DEALS.drop(columns="amount")
    result = sourcing_confusion(warehouse, truth)
    assert result["deals"] == 4
    assert (result["unmatched_warehouse"], result["unmatched_truth"]) == (1, 0)
    counts = result["sourced_by_counts"]
    assert counts.loc["marketing", "marketing"] == 2
    assert counts.loc["marketing", "sales"] == 1  # o3: email in truth, sales in warehouse
    assert counts.loc["sales", "marketing"] == 1  # o4
    assert counts.loc["sales", "sales"] == 0
    amounts = result["sourced_by_amounts"]
    assert amounts.loc["marketing", "marketing"] == 30.0
    assert amounts.loc["sales", "marketing"] == 40.0
    assert result["sourced_by_agreement"] == 0.5
    assert result["sourced_by_amount_agreement"] == 0.3
    assert result["marketing_share_truth"] == 0.6
    assert result["marketing_share_warehouse"] == 0.7
    # channels: only o1 agrees (paid_search)
    assert result["channel_agreement"] == 0.25
    channel = result["channel_counts"]
    assert channel.loc["paid_search", "paid_search"] == 1
    assert channel.loc["paid_search", "content"] == 1
    assert channel.loc["email", NO_MARKETING] == 1
    assert channel.loc[NO_MARKETING, "email"] == 1
    assert channel.to_numpy().sum() == 4
    assert len(result["top_confusions"]) == 3


def test_benchmark_scores_the_session_warehouse(loaded, tmp_path):
    assert loaded["result"].success
    frames = bench.read_frames(loaded["warehouse"], loaded["world"]["truth"])
    result = bench.score(frames)
    shares = result["model_shares"]
    assert sorted(shares.index) == sorted(MODELS)
    assert shares[TOTAL].is_monotonic_increasing
    assert shares.drop(columns=TOTAL).sum(axis=1).to_numpy() == pytest.approx(1.0)
    assert result["true_shares"].sum() == pytest.approx(1.0)
    assert ((shares[TOTAL] >= 0) & (shares[TOTAL] <= 2)).all()
    sourcing = result["sourcing"]
    assert sourcing["deals"] == len(frames["truth"]) == len(frames["sourced"])
    assert sourcing["sourced_by_counts"].shape == (2, 2)
    assert sourcing["sourced_by_counts"].to_numpy().sum() == sourcing["deals"]
    assert 0 <= sourcing["channel_agreement"] <= sourcing["sourced_by_agreement"] <= 1
    report = bench.format_report(result)
    assert all(model in report for model in MODELS)
    out = tmp_path / "quality.json"
    assert (
        bench.main(
            [
                "--warehouse",
                str(loaded["warehouse"]),
                "--truth",
                str(loaded["world"]["truth"]),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text())
    assert len(data["models"]) == len(MODELS)
    for model in data["models"]:
        assert sum(model["shares"].values()) == pytest.approx(1.0)
