"""The write-back against the local stand-ins (real HTTP on 127.0.0.1 in the published shapes):
the Salesforce Bulk API 2.0 and the Google Ads, Meta and LinkedIn conversion uploads, pushing
the marts of the session warehouse (the whole graph built on the small world)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.benchmarks.writeback import clients
from dagster_project.lib.connectors.conversions import ConversionSender, normalise_email
from dagster_project.lib.connectors.http import ConnectorError
from dagster_project.lib.connectors.push_fields import PUSH_OBJECTS
from dagster_project.lib.connectors.push_state import crm_changes, push_conversions, push_crm
from dagster_project.lib.connectors.salesforce_bulk import SalesforceBulk
from dagster_project.standins.push import duplicates, load_clicks
from dagster_project.standins.server import StandIns
from dagster_project.standins.world import SampleWorld

QUIET = {"log": lambda _: None}


@pytest.fixture(scope="module")
def world_records(small_world) -> SampleWorld:
    world = SampleWorld.from_landing(small_world["landing"])
    load_clicks(world, small_world["landing"])
    return world


@pytest.fixture
def standins(world_records):
    world = SampleWorld(records={k: [dict(r) for r in v] for k, v in world_records.records.items()})
    with StandIns(world) as running:
        yield running


@pytest.fixture
def warehouse(loaded, tmp_path):
    """A private copy of the session warehouse (the push writes its state into it)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], path)
    con = duckdb.connect(str(path))
    yield con
    con.close()


def bulk(standins: StandIns) -> SalesforceBulk:
    """The Bulk API client as the write-back asset makes it (polling every 10 ms)."""
    return clients(standins, poll_seconds=0.01)[0]


def sender(standins: StandIns, platform: str) -> ConversionSender:
    """The platform's sender as the write-back asset makes it."""
    return clients(standins)[1][platform]


def jobs_created(standins: StandIns) -> int:
    return sum(
        1
        for r in standins.logged("salesforce")
        if r.method == "POST" and r.path.endswith("/ingest")
    )


def by_object(counts) -> dict:
    return {c.object: c for c in counts}


# ------------------------------------------------------------------------------- Salesforce
def test_the_first_push_sends_every_value_and_a_rerun_sends_nothing(standins, warehouse, tmp_path):
    first = by_object(push_crm(warehouse, bulk(standins), tmp_path, "p1", **QUIET))
    for obj in PUSH_OBJECTS:
        count = first[obj.sobject]
        assert count.rows_pending > 0, obj.sobject
        assert count.rows_sent == count.rows_succeeded == count.rows_pending, obj.sobject
        assert count.rows_failed == count.rows_unprocessed == 0
        # what Salesforce holds now is what the warehouse confirmed: nothing is left to send
        assert crm_changes(warehouse, obj) == []
    stored = warehouse.execute(
        "select sobject, record_id, field, value from writeback.crm_values"
    ).fetchall()
    assert len(stored) > 0
    for sobject, record_id, field, value in stored:
        held = standins.crm_values[(sobject, record_id)][field]
        assert held is not None and value is not None
    # the call-today accounts carry the flag in the CRM
    call = [
        a for (a,) in warehouse.execute("select account_id from marts.accounts_to_call").fetchall()
    ]
    for account_id in call:
        assert (
            str(standins.crm_values[("Account", account_id)]["RJW_Call_Today__c"]).lower() == "true"
        )
    # the re-run creates no job at all
    before = jobs_created(standins)
    again = push_crm(warehouse, bulk(standins), tmp_path, "p2", **QUIET)
    assert [c.rows_sent for c in again] == [0, 0, 0]
    assert jobs_created(standins) == before


def test_only_the_changed_value_is_sent(standins, warehouse, tmp_path):
    push_crm(warehouse, bulk(standins), tmp_path, "p1", **QUIET)
    account_id = warehouse.execute(
        "select account_id from marts.crm_account_updates order by account_id limit 1"
    ).fetchone()[0]
    warehouse.execute(
        "update marts.crm_account_updates set engagement_score = 77.7 where account_id = ?",
        [account_id],
    )
    counts = by_object(push_crm(warehouse, bulk(standins), tmp_path, "p2", **QUIET))
    assert counts["Account"].rows_sent == 1 and counts["Opportunity"].rows_sent == 0
    payload = (tmp_path / "p2" / "salesforce" / "Account_001.csv").read_text()
    assert list(csv.reader(io.StringIO(payload))) == [
        ["Id", "RJW_Engagement_Score__c"],
        [account_id, "77.7"],
    ]
    held = standins.crm_values[("Account", account_id)]["RJW_Engagement_Score__c"]
    assert float(held) == 77.7


def test_refused_and_unprocessed_records_are_reported_then_sent_next_night(
    standins, warehouse, tmp_path
):
    opportunities = [
        r
        for (r,) in warehouse.execute(
            "select opportunity_id from marts.crm_opportunity_updates order by 1 limit 2"
        ).fetchall()
    ]
    lock = "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--"
    standins.bulk_fail_once = dict.fromkeys(opportunities, lock)
    standins.bulk_fail_job_after = 5  # the first job (Account) stops after five records
    first = by_object(push_crm(warehouse, bulk(standins), tmp_path, "p1", **QUIET))
    accounts = first["Account"]
    assert accounts.rows_succeeded == 5
    assert accounts.rows_unprocessed == accounts.rows_sent - 5 > 0
    assert "Failed" in (accounts.error or "")
    assert first["Opportunity"].rows_failed == 2
    failures = warehouse.execute(
        "select object, record_key, error from writeback.push_failures where push_id = 'p1'"
    ).fetchall()
    assert {(o, k) for o, k, e in failures if o == "Opportunity"} == {
        ("Opportunity", i) for i in opportunities
    }
    assert all(e.startswith("UNABLE_TO_LOCK_ROW") for o, _, e in failures if o == "Opportunity")
    assert sum(1 for o, _, e in failures if o == "Account" and e.startswith("unprocessed")) == (
        accounts.rows_unprocessed
    )
    # the next night sends exactly what did not arrive, and it arrives
    second = by_object(push_crm(warehouse, bulk(standins), tmp_path, "p2", **QUIET))
    assert second["Account"].rows_sent == accounts.rows_unprocessed
    assert second["Opportunity"].rows_sent == 2
    assert second["Lead"].rows_sent == 0
    assert all(c.rows_failed == c.rows_unprocessed == 0 for c in second.values())
    assert [c.rows_sent for c in push_crm(warehouse, bulk(standins), tmp_path, "p3", **QUIET)] == [
        0,
        0,
        0,
    ]


def test_a_session_that_ends_mid_push_gets_a_new_token(standins, warehouse, tmp_path):
    standins.fail(
        "salesforce",
        401,
        match="/jobs/ingest",
        after=4,
        expire_tokens=True,
        body=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    counts = push_crm(warehouse, bulk(standins), tmp_path, "p1", **QUIET)
    assert all(c.rows_sent == c.rows_succeeded for c in counts)
    assert standins.tokens_issued["salesforce"] == 2
    assert [r.status for r in standins.logged("salesforce")].count(401) == 1


def test_a_push_that_dies_waiting_for_its_job_collects_it_next_time(standins, warehouse, tmp_path):
    # create, upload, close pass; the first poll of the job is refused and the run stops
    standins.fail("salesforce", 400, match="/jobs/ingest/", after=2, body=[{"errorCode": "X"}])
    with pytest.raises(ConnectorError, match="HTTP 400"):
        push_crm(warehouse, bulk(standins), tmp_path, "p1", **QUIET)
    open_jobs = warehouse.execute(
        "select job_id, sobject from writeback.crm_jobs where not is_collected"
    ).fetchall()
    assert len(open_jobs) == 1 and open_jobs[0][1] == "Account"
    # next night: the job's results are read first, so its records are not sent again
    counts = push_crm(warehouse, bulk(standins), tmp_path, "p2", **QUIET)
    earlier, *rest = counts
    assert earlier.mode.startswith("live (earlier job)") and earlier.rows_succeeded > 0
    assert by_object(rest)["Account"].rows_sent == 0
    assert warehouse.execute(
        "select count(*) from writeback.crm_jobs where not is_collected"
    ).fetchone() == (0,)


# ------------------------------------------------------------------------------ conversions
def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _clock(warehouse) -> datetime:
    """A day after the newest conversion, so each platform's window holds some."""
    newest = warehouse.execute("select max(occurred_at) from marts.ad_conversions").fetchone()[0]
    return newest + timedelta(days=1)


def test_conversions_are_sent_once_with_emails_hashed_as_each_platform_wants(
    standins, warehouse, tmp_path
):
    now = _clock(warehouse)
    standins.now = _aware(now)
    for platform in ("google_ads", "meta_ads", "linkedin_ads"):
        counts = push_conversions(
            warehouse, platform, sender(standins, platform), {}, tmp_path, "p1", now, **QUIET
        )
        sent = sum(c.rows_sent for c in counts)
        assert sent > 0, platform
        assert sum(c.rows_succeeded for c in counts) == sent, (platform, counts)
        assert duplicates(standins, platform) == []
        assert len(standins.conversions[platform]) == sent
    # Meta received the digest of the lower-cased trimmed address of the lead's person
    key, email = warehouse.execute(
        "select conversion_key, email from marts.ad_conversions "
        "where platform = 'meta_ads' and email is not null and conversion_key in "
        "(select conversion_key from writeback.conversions_sent where status = 'sent') limit 1"
    ).fetchone()
    event = next(e for e in standins.conversions["meta_ads"] if e["event_id"] == key)
    digest = hashlib.sha256(normalise_email(email, "meta_ads").encode()).hexdigest()
    assert event["user_data"]["em"] == [digest]
    # a second push sends nothing
    requests = len(standins.requests)
    for platform in ("google_ads", "meta_ads", "linkedin_ads"):
        counts = push_conversions(
            warehouse, platform, sender(standins, platform), {}, tmp_path, "p2", now, **QUIET
        )
        assert sum(c.rows_sent for c in counts) == 0
    assert len(standins.requests) == requests


def test_a_conversion_google_refuses_is_sent_again_next_night(standins, warehouse, tmp_path):
    now = _clock(warehouse)
    standins.now = _aware(now)
    gclid = warehouse.execute(
        "select click_id from marts.ad_conversions where platform = 'google_ads' "
        "and clicked_at >= ? order by occurred_at desc limit 1",
        [now - timedelta(days=89)],
    ).fetchone()[0]
    standins.google_fail_once = {gclid}
    google = sender(standins, "google_ads")
    first = push_conversions(warehouse, "google_ads", google, {}, tmp_path, "p1", now, **QUIET)
    assert sum(c.rows_failed for c in first) == 1
    assert sum(c.rows_succeeded for c in first) == sum(c.rows_sent for c in first) - 1
    second = push_conversions(warehouse, "google_ads", google, {}, tmp_path, "p2", now, **QUIET)
    assert sum(c.rows_sent for c in second) == sum(c.rows_succeeded for c in second) == 1
    assert duplicates(standins, "google_ads") == []


# ------------------------------------------------------------------------------- the graph
def test_the_night_writes_dry_run_payloads_and_records_what_they_hold(loaded):
    con = duckdb.connect(str(loaded["warehouse"]), read_only=True)
    runs = con.execute(
        "select target, object, mode, rows_pending, rows_sent, payload_files "
        "from writeback.push_runs order by target, object"
    ).fetchall()
    assert {(t, o) for t, o, *_ in runs} >= {
        ("salesforce", "Account"),
        ("salesforce", "Lead"),
        ("salesforce", "Opportunity"),
        ("google_ads", "qualified_lead"),
        ("google_ads", "won_deal"),
    }
    assert all(mode == "dry_run" and sent == 0 for _, _, mode, _, sent, _ in runs)
    account = next(r for r in runs if r[1] == "Account")
    files = json.loads(account[5])
    rows = list(csv.reader(io.StringIO(Path(files[0]).read_text())))
    expected = con.execute(
        "select count(*) from marts.crm_account_updates where engagement_score is not null "
        "or engaged_people is not null or surge_started_on is not null or is_call_today "
        "is not null or last_marketing_touch_at is not null or briefing is not null"
    ).fetchone()[0]
    assert len(rows) - 1 == account[3] == expected
    assert con.execute("select count(*) from writeback.crm_values").fetchone() == (0,)
    con.close()


def test_a_job_salesforce_no_longer_has_does_not_block_the_push(standins, warehouse, tmp_path):
    """Salesforce deletes ingest jobs after seven days: a job left uncollected that long is
    marked lost (its values, never confirmed, are sent again) and the push goes on."""
    push_crm(warehouse, None, tmp_path, "dry", **QUIET)  # (creates the state tables)
    warehouse.execute(
        "insert into writeback.crm_jobs values ('750000000000AbCIAO', 'old', 'Account', "
        "now()::timestamp - interval 9 day, 'Open', false)"
    )
    counts = by_object(push_crm(warehouse, bulk(standins), tmp_path, "p1", **QUIET))
    assert counts["Account"].rows_sent == counts["Account"].rows_succeeded > 0
    assert warehouse.execute(
        "select state, is_collected from writeback.crm_jobs where job_id = '750000000000AbCIAO'"
    ).fetchone() == ("Lost", True)


def test_a_qualified_lead_whose_key_changes_is_not_sent_again(standins, warehouse, tmp_path):
    """The key names the person's earliest lead; a lead merge in the CRM can change it. The same
    click (or email) already sent is the same conversion."""
    now = _clock(warehouse)
    standins.now = _aware(now)
    google = sender(standins, "google_ads")
    first = push_conversions(warehouse, "google_ads", google, {}, tmp_path, "p1", now, **QUIET)
    sent = sum(c.rows_succeeded for c in first)
    assert sent > 0
    warehouse.execute(
        "update marts.ad_conversions set conversion_key = conversion_key || '-merged', "
        "lead_id = lead_id || '-merged' where platform = 'google_ads' "
        "and conversion_type = 'qualified_lead'"
    )
    again = push_conversions(warehouse, "google_ads", google, {}, tmp_path, "p2", now, **QUIET)
    assert sum(c.rows_sent for c in again) == 0
    assert len(standins.conversions["google_ads"]) == sent
