"""A night with nothing new runs no dbt model: the real job graph on a copy of the session's
warehouse, with the same landing zone (nothing new), then a new delivery (a build without the
dbt unit tests: same SQL), then a forced build."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from datetime import datetime, timedelta

import dagster as dg
import duckdb
import pytest

from dagster_project import cli
from dagster_project.defs import automation
from dagster_project.defs.resources import (
    LandingZone,
    QualityGate,
    dbt_project,
    dbt_vars,
    warehouse_resource,
)
from dagster_project.defs.transform.dbt import FORCE_BUILD_TAG
from dagster_project.lib.build_state import BUILDS_TABLE, decide, project_fingerprint
from dagster_project.lib.fingerprint import table_fingerprints
from dagster_project.lib.landing.contracts import CONTRACTS
from dagster_project.lib.night_check import check_night
from dagster_project.lib.quality.suite import Settings as QualitySettings
from dagster_project.lib.settings import Settings
from tests.conftest import SAMPLE_AS_OF, pipeline_assets, resources_for

REPORT = dg.AssetKey(["reports", "revenue_report"])
MART = dg.AssetKey("opportunity_journeys")


def _night(warehouse, landing, tags=None) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        pipeline_assets(),
        resources=resources_for(warehouse, landing),
        tags=tags,
        raise_on_error=False,
    )


def _materialised(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {e.asset_key for e in result.get_asset_materialization_events()}


def _unit_tests_run(result: dg.ExecuteInProcessResult) -> int:
    """dbt unit tests in the run's dbt build (dagster-dbt's run_results.json of that run)."""
    found = list(
        (dbt_project.project_dir / "target").glob(
            f"dbt_models-{result.run_id[:7]}-*/run_results.json"
        )
    )
    assert len(found) == 1, found
    results = json.loads(found[0].read_text())["results"]
    assert any(r["unique_id"].startswith("model.") for r in results)
    return sum(r["unique_id"].startswith("unit_test.") for r in results)


def _builds(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select count(*) from {BUILDS_TABLE}").fetchone()[0]


@pytest.fixture(scope="module")
def copy(loaded, tmp_path_factory):
    assert loaded["result"].success
    root = tmp_path_factory.mktemp("nothing_new")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    landing = root / "landing"
    shutil.copytree(loaded["world"]["landing"], landing)
    return warehouse, landing


def test_the_session_build_was_recorded(copy):
    warehouse, _ = copy
    assert _builds(warehouse) == 1


def test_nothing_new_runs_no_dbt_model_and_changes_no_mart(copy):
    warehouse, landing = copy
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = table_fingerprints(con)
    result = _night(warehouse, landing)
    assert result.success
    done = _materialised(result)
    assert MART not in done and REPORT not in done
    assert not any(key.path[0] not in {"raw"} for key in done), done
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert any("revenue_report" in step for step in skipped)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert table_fingerprints(con) == before
    assert _builds(warehouse) == 1


def test_nothing_new_starts_no_run_at_all_and_reports_freshness(copy, capsys):
    """Before any run: `rjw run` and the nightly schedule see that every landing file is loaded
    and the last build is current, start nothing, and tell the sources' freshness instead."""
    warehouse, landing = copy
    as_of = datetime.fromisoformat(SAMPLE_AS_OF)
    fingerprint = project_fingerprint(dbt_project.project_dir, dbt_vars(warehouse))
    night = check_night(warehouse, landing, fingerprint, QualitySettings(freshness_as_of=as_of))
    assert night.nothing_new and not night.new_files, night.reason
    assert "landing files are all loaded" in night.reason
    assert len(night.freshness) == len(CONTRACTS) and not night.stale
    # a week later every source with a freshness expectation is stale, and is named
    later = check_night(
        warehouse,
        landing,
        fingerprint,
        QualitySettings(freshness_as_of=as_of + timedelta(days=7)),
    )
    assert later.nothing_new and later.stale
    assert any("raw_crm.leads" in f.message for f in later.stale)
    # a file copied again (new modification time, same bytes) is read and found loaded
    leads = sorted((landing / "crm" / "leads").glob("*.csv"))[-1]
    os.utime(leads, ns=(leads.stat().st_atime_ns, leads.stat().st_mtime_ns + 10**9))
    assert check_night(warehouse, landing, fingerprint).nothing_new

    resources = {
        "landing": LandingZone(root=str(landing)),
        "duckdb": warehouse_resource(warehouse),
        "quality": QualityGate(freshness_as_of=(as_of + timedelta(days=7)).isoformat()),
    }
    with dg.build_schedule_context(scheduled_execution_time=as_of, resources=resources) as context:
        tick = automation.nightly_schedule.evaluate_tick(context)
    assert not tick.run_requests
    assert "nothing new" in tick.skip_message and "older than allowed" in tick.skip_message

    settings = Settings.from_env(
        {"RJW_DUCKDB_PATH": str(warehouse), "RJW_LANDING_DIR": str(landing)}
    )
    settings = replace(settings, quality=QualitySettings(freshness_as_of=as_of))
    assert cli._nothing_new(settings)
    out = capsys.readouterr().out
    assert "pipeline skipped in" in out and "no run started" in out
    assert f"{len(CONTRACTS)} of {len(CONTRACTS)} sources within their allowed age" in out
    assert _builds(warehouse) == 1


def test_a_new_delivery_builds_and_a_forced_night_builds_again(copy):
    warehouse, landing = copy
    # a new export of one object: a new load, so the next night builds
    leads = sorted((landing / "crm" / "leads").glob("*.csv"))[-1]
    lines = leads.read_text().splitlines(keepends=True)
    (leads.parent / "leads_20261201T020000Z_delta.csv").write_text(lines[0] + lines[1])
    result = _night(warehouse, landing)
    assert result.success
    assert {MART, REPORT} <= _materialised(result)
    assert _builds(warehouse) == 2
    # new data, same SQL: the unit tests (fixed inputs) are left out of the build
    assert _unit_tests_run(result) == 0
    # nothing new again, but the run tag forces the build, unit tests included
    forced = _night(warehouse, landing, tags={FORCE_BUILD_TAG: "always"})
    assert forced.success and MART in _materialised(forced)
    assert _builds(warehouse) == 3
    assert _unit_tests_run(forced) > 20


def test_a_changed_dbt_var_means_a_build(copy):
    warehouse, _ = copy
    with duckdb.connect(str(warehouse), read_only=True) as con:
        other = decide(
            con, project_fingerprint(dbt_project.project_dir, {"journey_lookback_days": 30})
        )
        same = decide(con, project_fingerprint(dbt_project.project_dir, {"warehouse_path": "/x"}))
    assert other.build and "changed" in other.reason
    assert not same.build and "nothing new" in same.reason, same.reason
