"""The night benchmark's own parts (the benchmark itself is run by hand: figures, not tests)."""

from __future__ import annotations

import subprocess
import sys

from dagster_project.benchmarks.night import PeakRss, _dbt_split, report, step_at


def test_peak_rss_counts_the_child_processes():
    # a child that holds ~200 MiB for a second: the tree's peak includes it
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; b = bytearray(200 * 2**20); time.sleep(1.0)"]
    )
    with PeakRss(child.pid, every=0.05) as rss:
        child.wait()
    assert rss.peak > 190 * 2**20
    assert rss.peak_own == rss.peak  # the child was the sampled process itself
    assert rss.peak_at > 0


def test_the_peak_is_placed_in_the_step_that_ran_then():
    spans = {"raw__crm__leads": (100.0, 110.0), "dbt_models": (110.5, 200.0)}
    assert step_at(spans, 150.0) == "dbt_models"
    assert step_at(spans, 105.0) == "raw__crm__leads"
    assert step_at(spans, 110.2) is None


def test_dbt_split_and_report_name_models_tests_and_targets():
    results = {
        "elapsed_time": 12.0,
        "results": [
            {"unique_id": "model.p.int_person_records_linked", "execution_time": 5.0},
            {"unique_id": "model.p.touchpoints", "execution_time": 3.0},
            {"unique_id": "test.p.not_null_touchpoints_id.abc", "execution_time": 1.0},
            {"unique_id": "unit_test.p.touchpoints.u", "execution_time": 1.0},
            {"unique_id": "seed.p.rates", "execution_time": 0.5},
        ],
    }
    split = _dbt_split(results)
    assert (split["model_seconds"], split["test_seconds"]) == (8.0, 2.0)
    assert split["slowest_models"][0] == ("int_person_records_linked", 5.0)
    nights = [
        {
            "label": "full",
            "wall_seconds": 200.0,
            "pipeline_seconds": 170.0,
            "peak_rss_gib": 3.5,
            "peak_rss_own_gib": 1.25,
            "peak_rss_step": "dbt_models",
            "steps": [("dbt_models", 120.0), ("raw__crm__leads", 4.0)],
            "dbt": split,
        },
        {
            "label": "nothing_new",
            "wall_seconds": 30.0,
            "pipeline_seconds": 20.0,
            "peak_rss_gib": 0.5,
            "steps": [("raw__crm__leads", 0.3)],
            "dbt": None,
        },
    ]
    text = report(
        nights,
        {"dbt_elapsed": 12.0, "dbt_node_seconds": 10.0, "direct_seconds": 8.0},
        {25_000: 2.0, 50_000: 4.4},
    )
    assert "full night" in text and "nothing-new night" in text
    assert "tests 2.0 s (20% of node time)" in text
    assert "dbt: not run" in text
    assert "peak RSS during dbt_models (rjw process 1.25 GiB, its children 2.25 GiB)" in text
    assert "ratio 1.50x" in text
    assert "x2.20 (target <= 2.3)" in text
