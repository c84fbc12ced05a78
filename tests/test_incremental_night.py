"""An incremental night gives the same warehouse as a full rebuild.

On a copy of the session's warehouse and world: the next day's delta exports (new, updated, late
and deleted records; ``generate_days``) are loaded and built incrementally, then a corrected
re-delivery of that night's email events (one event dropped, so its rows are superseded) is
built incrementally again. Every staging, core, mart and attribution table is fingerprinted and
compared with a ``--full-refresh`` build of the same raw data (a forced build)."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.resources import dbt_project
from dagster_project.defs.transform.dbt import FORCE_BUILD_TAG
from dagster_project.generate import generate_days
from dagster_project.lib.fingerprint import table_fingerprints
from tests.conftest import pipeline_assets, resources_for

SCHEMAS = ("staging", "marts", "attribution")
NEW_EVENT = "ee_900000000001"
INCREMENTAL_STAGING = (
    "stg_crm__email_events",
    "stg_crm__campaign_members",
    "stg_crm__form_submissions",
)


def _night(warehouse, landing, tags=None) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        pipeline_assets(),
        resources=resources_for(warehouse, landing),
        tags=tags,
        raise_on_error=False,
    )
    assert result.success
    return result


def _dbt_results(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    """dbt's run_results.json of the run, by node name."""
    [found] = (dbt_project.project_dir / "target").glob(
        f"dbt_models-{result.run_id[:7]}-*/run_results.json"
    )
    return {r["unique_id"].split(".")[-1]: r for r in json.loads(found.read_text())["results"]}


def _prints(warehouse) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return table_fingerprints(con, SCHEMAS)


def _count(warehouse, sql: str, params=None) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()[0]


@pytest.fixture(scope="module")
def nights(loaded, tmp_path_factory):
    assert loaded["result"].success
    root = tmp_path_factory.mktemp("incremental")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    landing, truth = root / "landing", root / "truth"
    shutil.copytree(loaded["world"]["landing"], landing)
    shutil.copytree(loaded["world"]["truth"], truth)
    before = _count(warehouse, "select count(*) from staging.stg_crm__email_events")

    generate_days(landing, truth, days=1)
    # the email tool's export of the same night, in its usual shape (the generated nights have
    # none): a new click, and an earlier event sent again corrected (the latest export wins)
    events = landing / "crm" / "email_events"
    [full] = sorted(events.glob("*_full.csv"))
    header, first_event = full.read_text().splitlines()[:2]
    corrected = first_event.replace(",sent,", ",delivered,")
    assert corrected != first_event
    new_event = (
        f"{NEW_EVENT},701000000000000012,00Q000000000000298,sandra483@prismsoftware126.com,"
        "click,https://www.revjourney.io/pricing?utm_source=newsletter&utm_medium=email"
        "&utm_campaign=em_oct,2026-10-31T09:30:00Z"
    )
    delta = events / "email_events_20261101T020000Z_delta.csv"
    delta.write_text("\n".join([header, corrected, new_event]) + "\n")
    first = _night(warehouse, landing)
    after_first = _count(warehouse, "select count(*) from staging.stg_crm__email_events")

    # the tool re-sends that export corrected: the new click was a bot, it is gone (its only
    # version was in the replaced file, so it has to leave staging)
    delta.write_text("\n".join([header, corrected]) + "\n")
    second = _night(warehouse, landing)
    incremental = _prints(warehouse)

    full = _night(warehouse, landing, tags={FORCE_BUILD_TAG: "always"})
    return {
        "warehouse": warehouse,
        "before": before,
        "after_first": after_first,
        "corrected_event": first_event.split(",")[0],
        "first": first,
        "second": second,
        "full": full,
        "incremental": incremental,
        "rebuilt": _prints(warehouse),
    }


def test_the_nights_built_incrementally_and_the_last_one_fully(nights):
    """The touched-keys filter is in the compiled SQL of the large staging models on the
    nights (new data, same project: no unit tests) and not in the forced --full-refresh."""
    for night in ("first", "second"):
        results = _dbt_results(nights[night])
        for model in INCREMENTAL_STAGING:
            assert results[model]["status"] == "success"
            assert "_load_id >" in results[model]["compiled_code"], model
        assert not any(r["unique_id"].startswith("unit_test.") for r in results.values())
    full = _dbt_results(nights["full"])
    for model in INCREMENTAL_STAGING:
        assert "_load_id >" not in full[model]["compiled_code"], model
    assert any(r["unique_id"].startswith("unit_test.") for r in full.values())
    assert nights["after_first"] > nights["before"]


def test_the_incremental_warehouse_equals_a_full_rebuild(nights):
    incremental, rebuilt = nights["incremental"], nights["rebuilt"]
    assert len(incremental) > 40
    assert {f"staging.{m}" for m in INCREMENTAL_STAGING} <= incremental.keys()
    different = {
        name: (incremental.get(name), rebuilt.get(name))
        for name in incremental.keys() | rebuilt.keys()
        if incremental.get(name) != rebuilt.get(name)
    }
    assert not different


def test_a_corrected_delivery_replaces_and_removes_what_it_changed(nights):
    warehouse = nights["warehouse"]
    staged = "select {} from staging.stg_crm__email_events where email_event_id = ?"
    assert _count(warehouse, staged.format("count(*)"), [NEW_EVENT]) == 0
    assert nights["after_first"] == nights["before"] + 1
    assert (
        _count(warehouse, "select count(*) from staging.stg_crm__email_events") == nights["before"]
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        event_type = con.execute(
            staged.format("event_type"), [nights["corrected_event"]]
        ).fetchone()[0]
    assert event_type == "delivered"
