"""API extracts against the local stand-ins (dagster_project/standins): real HTTP on 127.0.0.1 in
the APIs' published shapes, dlt's client, the landing contracts and the real commit into DuckDB."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote_plus

import dagster as dg
import duckdb
import pytest

from dagster_project.lib.connectors.commit import commit_batches
from dagster_project.lib.connectors.http import ConnectorError, RetryPolicy
from dagster_project.lib.connectors.salesforce import SalesforceConnector
from dagster_project.lib.connectors.stripe import StripeConnector
from dagster_project.lib.landing.contracts import get_contract
from dagster_project.lib.settings import Settings
from dagster_project.standins.server import CREDENTIALS, StandIns, standin_settings
from dagster_project.standins.world import SampleWorld

FAST = RetryPolicy(max_attempts=4, backoff_factor=0.05, max_delay_seconds=2)


@pytest.fixture(scope="module")
def world_records(small_world) -> SampleWorld:
    return SampleWorld.from_landing(small_world["landing"])


@pytest.fixture
def standins(world_records):
    # a private copy of the world: tests change it
    world = SampleWorld(records={k: [dict(r) for r in v] for k, v in world_records.records.items()})
    with StandIns(world) as running:
        yield running


def salesforce(standins: StandIns, page_size: int = 2000) -> SalesforceConnector:
    c = CREDENTIALS["salesforce"]
    return SalesforceConnector(
        instance_url=standins.url("salesforce"),
        token_url=standins.url("salesforce") + "/services/oauth2/token",
        client_id=c["client_id"],
        client_secret=c["client_secret"],
        refresh_token=c["refresh_token"],
        page_size=page_size,
        retry=FAST,
        settle_seconds=0,
    )


def stripe(standins: StandIns, page_size: int = 100) -> StripeConnector:
    return StripeConnector(
        CREDENTIALS["stripe"]["api_key"],
        standins.url("stripe"),
        page_size=page_size,
        retry=FAST,
        settle_seconds=0,
    )


def run(con, connector, system: str, obj: str, tmp_path: Path):
    contract = get_contract(system, obj)
    return commit_batches(
        con,
        contract,
        f"test/{obj}",
        lambda state: connector.batches(contract, state),
        tmp_path / "work",
        connector.redact,
    )


def test_pages_to_an_empty_last_page_load_every_record_once(standins, tmp_path):
    standins.empty_last_page = True
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    expected = len(standins.world.records["invoices"])
    result = run(con, stripe(standins, page_size=40), "billing", "invoices", tmp_path)
    pages = -(-expected // 40)
    lists = [r for r in standins.logged("stripe") if r.path == "/v1/invoices"]
    assert len(lists) == pages + 1 and lists[-1].returned == 0  # the empty last page
    assert [r.returned for r in lists[:-1]] == [40] * (pages - 1) + [expected - 40 * (pages - 1)]
    rows, ids = con.execute(
        "select count(*), count(distinct id) from raw_billing.invoices"
    ).fetchone()
    assert rows == ids == expected == result.load.rows_loaded
    # the manifest holds one load per non-empty page, each under its request
    uris = [u for (u,) in con.execute("select source_uri from raw_meta.load_manifest").fetchall()]
    assert len(uris) == pages and all("/v1/invoices?limit=40" in u for u in uris)


def test_429_with_retry_after_then_500_are_retried(standins, tmp_path):
    standins.fail(
        "stripe",
        429,
        match="/v1/charges",
        after=1,
        headers={"Retry-After": "1"},
        body={"error": {"type": "rate_limit_error", "message": "Too many requests"}},
    )
    standins.fail(
        "stripe",
        500,
        match="/v1/charges",
        after=2,
        body={"error": {"type": "api_error", "message": "Something went wrong"}},
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    started = time.perf_counter()
    result = run(con, stripe(standins, page_size=50), "billing", "charges", tmp_path)
    seconds = time.perf_counter() - started
    statuses = [r.status for r in standins.logged("stripe")]
    assert statuses.count(429) == 1 and statuses.count(500) == 1
    assert seconds >= 1.0  # Retry-After: 1 was honoured
    assert result.load.rows_received == len(standins.world.records["charges"])


def test_an_expired_session_gets_a_new_token_mid_run(standins, tmp_path):
    # the third query page finds the session ended (401 INVALID_SESSION_ID, tokens forgotten)
    standins.fail(
        "salesforce",
        401,
        match="/query/",
        after=1,
        expire_tokens=True,
        body=[{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    connector = salesforce(standins, page_size=500)
    run(con, connector, "crm", "campaign_members", tmp_path)
    assert standins.tokens_issued["salesforce"] == 2
    rows, ids = con.execute(
        'select count(*), count(distinct "Id") from raw_crm.campaign_members'
    ).fetchone()
    assert rows == ids == len(standins.world.records["campaign_members"])


def test_a_run_killed_while_paging_resumes_without_duplicates_or_gaps(standins, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    # the fourth page fails for good (not retried): the run stops there
    standins.fail(
        "salesforce",
        400,
        match="/query/",
        after=2,
        body=[{"message": "unexpected", "errorCode": "UNKNOWN_EXCEPTION"}],
    )
    with pytest.raises(ConnectorError, match="HTTP 400"):
        run(con, salesforce(standins, page_size=300), "crm", "campaign_members", tmp_path)
    stored = con.execute("select count(*) from raw_crm.campaign_members").fetchone()[0]
    assert stored == 900  # the three pages before it, with their cursor
    run(con, salesforce(standins, page_size=300), "crm", "campaign_members", tmp_path)
    rows, ids = con.execute(
        'select count(*), count(distinct "Id") from raw_crm.campaign_members'
    ).fetchone()
    assert rows == ids == len(standins.world.records["campaign_members"])
    resumed = [
        r
        for r in standins.logged("salesforce")
        if r.path.endswith("/queryAll") or r.path.endswith("/query")
    ][-1]
    # the resumed query starts after the last stored record: (SystemModstamp, Id) of page three
    assert "AND Id > '" in unquote_plus(resumed.query)


KILLED_EXTRACT = """
import sys
from pathlib import Path
import duckdb
from dagster_project.lib.connectors.commit import commit_batches
from dagster_project.lib.connectors.salesforce import SalesforceConnector
from dagster_project.lib.landing.contracts import get_contract
url, warehouse, work, cid, secret, refresh = sys.argv[1:]
connector = SalesforceConnector(url, url + "/services/oauth2/token", cid, secret, refresh, 300)
contract = get_contract("crm", "campaign_members")
con = duckdb.connect(warehouse)
commit_batches(con, contract, "test/campaign_members",
               lambda state: connector.batches(contract, state), Path(work), connector.redact)
"""


def test_a_process_killed_while_paging_resumes_without_duplicates_or_gaps(standins, tmp_path):
    """SIGKILL of the extracting process while it waits for the fifth page: the four pages it
    committed stay with their cursor; the next run starts after them."""
    import os
    import signal
    import subprocess
    import sys

    warehouse = tmp_path / "w.duckdb"
    c = CREDENTIALS["salesforce"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_EXTRACT,
            standins.url("salesforce"),
            str(warehouse),
            str(tmp_path / "work"),
            c["client_id"],
            c["client_secret"],
            c["refresh_token"],
        ],
        cwd=Path(__file__).resolve().parents[1],
    )
    standins.fail(
        "salesforce",
        503,
        match="/query/",
        after=3,
        action=lambda: os.kill(process.pid, signal.SIGKILL),
    )
    assert process.wait(timeout=120) == -signal.SIGKILL
    con = duckdb.connect(str(warehouse))
    assert con.execute("select count(*) from raw_crm.campaign_members").fetchone()[0] == 1200
    run(con, salesforce(standins, page_size=300), "crm", "campaign_members", tmp_path)
    rows, ids = con.execute(
        'select count(*), count(distinct "Id") from raw_crm.campaign_members'
    ).fetchone()
    assert rows == ids == len(standins.world.records["campaign_members"])


def test_stripe_backfill_killed_mid_paging_resumes_with_the_same_window(standins, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    standins.fail(
        "stripe",
        400,
        match="/v1/invoices",
        after=2,
        body={"error": {"type": "invalid_request_error", "message": "boom"}},
    )
    with pytest.raises(ConnectorError):
        run(con, stripe(standins, page_size=50), "billing", "invoices", tmp_path)
    assert con.execute("select count(*) from raw_billing.invoices").fetchone()[0] == 100
    run(con, stripe(standins, page_size=50), "billing", "invoices", tmp_path)
    rows, ids = con.execute(
        "select count(*), count(distinct id) from raw_billing.invoices"
    ).fetchone()
    assert rows == ids == len(standins.world.records["invoices"])
    failed = next(i for i, r in enumerate(standins.requests) if r.status == 400)
    resumed = standins.requests[failed + 1]
    assert resumed.path == "/v1/invoices" and "starting_after=" in resumed.query


def test_a_second_night_fetches_only_what_changed(standins, tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    run(con, salesforce(standins), "crm", "leads", tmp_path)
    run(con, stripe(standins), "billing", "charges", tmp_path)
    first_requests = len(standins.requests)
    # a lead worked by sales, a charge refunded (Stripe logs an event), a new customer
    lead = dict(standins.world.records["leads"][0])
    lead["Status"], lead["LastModifiedDate"] = (
        "Working",
        datetime.now(UTC) - timedelta(minutes=9),
    )
    standins.world.upsert("leads", lead, key="Id")
    charge = dict(
        next(c for c in standins.world.records["charges"] if isinstance(c.get("created"), int))
    )
    charge["amount_refunded"], charge["refunded"] = charge["amount"], True
    standins.world.upsert("charges", charge, event_type="charge.refunded")
    time.sleep(1.1)  # (Stripe's created is in seconds)
    run(con, salesforce(standins), "crm", "leads", tmp_path)
    run(con, stripe(standins), "billing", "charges", tmp_path)
    second = standins.requests[first_requests:]
    sf = [r for r in second if r.api == "salesforce" and "query" in r.path]
    assert [r.returned for r in sf] == [1]  # only the changed lead
    events = [r for r in second if r.path == "/v1/events"]
    listing = [r for r in second if r.path == "/v1/charges"]
    assert [r.returned for r in events] == [1] and [r.returned for r in listing] == [0]
    assert "created%5Bgt%5D=" in listing[0].query  # only charges created since the first night
    status = con.execute(
        'select "Status" from raw_crm.leads where "Id" = ? order by _source_seq desc, '
        "_load_id desc limit 1",
        [lead["Id"]],
    ).fetchone()[0]
    assert status == "Working"
    refunded = con.execute(
        "select refunded from raw_billing.charges where id = ? order by _load_id desc limit 1",
        [charge["id"]],
    ).fetchone()[0]
    assert refunded is True


def test_google_ads_metrics_left_out_at_zero_load_as_zero(standins, tmp_path):
    """Google Ads answers in proto3 JSON, which leaves out fields at their default: a day of a
    campaign without clicks has no ``clicks`` key. It must load as 0, not as NULL."""
    from datetime import date

    from dagster_project.lib.connectors.ads import DailyWindow, GoogleAdsConnector

    day = dict(standins.world.records["google_ads_campaign_stats"][0])
    day.update(segments_date=date(2026, 11, 2), metrics_clicks=0, metrics_cost_micros=0)
    standins.world.upsert("google_ads_campaign_stats", day, key="segments_date")
    c = CREDENTIALS["google_ads"]
    connector = GoogleAdsConnector(
        c["customer_id"],
        c["developer_token"],
        c["client_id"],
        c["client_secret"],
        c["refresh_token"],
        DailyWindow(date(2026, 11, 1), today=date(2026, 11, 3)),
        c["login_customer_id"],
        standins.url("google_ads"),
        standins.url("google_ads") + "/token",
        retry=FAST,
    )
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    run(con, connector, "ads", "google_ads_campaign_stats", tmp_path)
    assert con.execute(
        "select metrics_clicks, metrics_cost_micros, metrics_impressions > 0 "
        "from raw_ads.google_ads_campaign_stats"
    ).fetchall() == [(0, 0, True)]
    # the stand-in answered as the API does: no clicks and no cost for that day
    answer = connector.client.post(
        "/v21/customers/1234567890/googleAds:search",
        json={
            "query": "SELECT metrics.clicks FROM campaign WHERE segments.date "
            "BETWEEN '2026-11-02' AND '2026-11-02'"
        },
    ).json()["results"]
    assert [sorted(r["metrics"]) for r in answer] == [["impressions"]]


def test_a_field_the_api_added_lands_in_extra_and_is_reported(standins, tmp_path):
    customer = dict(standins.world.records["customers"][0], tax_country="DE")
    standins.world.upsert("customers", customer)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = run(con, stripe(standins), "billing", "customers", tmp_path)
    assert ["tax_country"] in result.extra_fields.values()
    extra = con.execute(
        "select _extra ->> '$.tax_country' from raw_billing.customers where id = ?",
        [customer["id"]],
    ).fetchone()[0]
    assert extra == "DE"


def test_a_token_in_a_failing_request_is_redacted_everywhere(standins, tmp_path):
    """The API echoes the key in its error (as a proxy or a badly written API might): the
    failure, the event log and the metadata show *** instead."""
    from dagster_project.defs.resources import LandingZone, api_resources, warehouse_resource
    from dagster_project.defs.sources.api import build_api_extract_asset

    key = CREDENTIALS["stripe"]["api_key"]
    standins.fail(
        "stripe",
        403,
        match="/v1/refunds",
        times=10,
        body={"error": {"message": f"key {key} lacks rak_refund_read; Bearer {key}"}},
    )
    settings = standin_settings(Settings(), standins)
    resources = {
        "duckdb": warehouse_resource(tmp_path / "w.duckdb"),
        "landing": LandingZone(root=str(tmp_path / "landing")),
        **api_resources(settings),
    }
    asset = build_api_extract_asset(get_contract("billing", "refunds"), "stripe")
    result = dg.materialize([asset], resources=resources, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    text = "\n".join(str(e) for e in result.all_events)
    where = text.find(key)
    assert where < 0, text[max(0, where - 500) : where + 40]
    error = str(failure.step_failure_data.error)
    assert "***" in error and "HTTP 403" in error
    # a refused request is not retried by the run (it would be refused again)
    assert not any(e.event_type_value == "STEP_UP_FOR_RETRY" for e in result.all_events)


def test_settings_name_the_missing_credentials_of_an_api_mode():
    from dagster_project.lib.env import SettingsError

    with pytest.raises(SettingsError, match="RJW_STRIPE_API_KEY"):
        Settings.from_env({"RJW_BILLING_SOURCE": "api"})
    ok = Settings.from_env({"RJW_BILLING_SOURCE": "api", "RJW_STRIPE_API_KEY": "sk_live_x"})
    assert ok.api.apis_in_use == ["stripe"] and ok.api.modes["crm"] == "files"


def test_the_api_night_gives_the_marts_of_the_file_night(loaded, standins):
    """The whole graph with every system in api mode (the clicks, email events and form
    submissions still from files) on the same sample world: every mart and attribution table
    equals the file path's, row for row."""
    from dagster_project.definitions import asset_checks, build_assets
    from dagster_project.defs.resources import api_resources
    from dagster_project.lib.fingerprint import table_fingerprints
    from tests.conftest import resources_for

    settings = standin_settings(Settings(), standins)
    assets = build_assets(settings)
    kinds = {
        a.key.path[-1]: a.specs_by_key[a.key].kinds
        for a in assets
        if len(a.keys) == 1 and a.key.path[0] == "raw"
    }
    assert "salesforce" in kinds["leads"] and "stripe" in kinds["charges"]
    assert (
        "google_ads" in kinds["google_ads_campaign_stats"] and "csv" in kinds["google_ads_clicks"]
    )
    warehouse = loaded["warehouse"].parent.parent / "api_night" / "warehouse.duckdb"
    warehouse.parent.mkdir(exist_ok=True)
    resources = resources_for(warehouse, loaded["world"]["landing"]) | api_resources(settings)
    result = dg.materialize([*assets, *asset_checks], resources=resources)
    assert result.success
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        files = table_fingerprints(con)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        api = table_fingerprints(con)
        sources = con.execute(
            "select count(*) filter (where source_uri like 'http://127.0.0.1:%'), count(*) "
            "from raw_meta.current_files"
        ).fetchone()
    assert len(files) >= 25 and api == files
    assert sources[0] >= 21  # every API object came over HTTP


def test_projection_keeps_what_the_contract_does_not_know():
    from dagster_project.lib.connectors.commit import project

    row = project(
        {
            "resourceName": "customers/1/campaigns/9",
            "campaign": {"resourceName": "customers/1/campaigns/9", "id": "9", "bid": "X"},
            "metrics": {"costMicros": "120000"},
        },
        {"campaign_id": "campaign.id", "metrics_cost_micros": "metrics.costMicros"},
        drop=("resourceName",),
    )
    assert row == {"campaign_id": "9", "metrics_cost_micros": "120000", "campaign": {"bid": "X"}}
    record = {
        "attributes": {"type": "User"},
        "Id": "005",
        "UserRole": {"attributes": {}, "Name": "SDR"},
        "metadata": {},
    }
    assert project(record, {"UserRole": "UserRole.Name"}, drop=("attributes",)) == {
        "UserRole": "SDR",
        "Id": "005",
        "metadata": {},
    }
    assert record["UserRole"] == {"attributes": {}, "Name": "SDR"}  # the record is left as it was


def test_the_redactor_hides_credentials_tokens_and_secret_parameters():
    from dagster_project.lib.connectors.http import Redactor

    redact = Redactor()
    redact.add("sk_live_abcdef123456")
    text = redact(
        "GET https://x/v1?access_token=EAAB12345678&limit=5 with sk_live_abcdef123456, "
        "Authorization: Bearer ya29.a0AfH6SMBx"
    )
    assert "sk_live_abcdef123456" not in text and "EAAB12345678" not in text
    assert "ya29" not in text and "limit=5" in text and text.count("***") == 3


def test_in_api_mode_the_api_objects_files_are_not_watched(small_world, tmp_path):
    from dagster_project.lib.landing.watch import landing_listing
    from dagster_project.lib.night_check import check_night

    every = landing_listing(small_world["landing"])
    billing_api = landing_listing(small_world["landing"], {"billing": "api"})
    assert {t for t, *_ in every} - {t for t, *_ in billing_api} == {
        f"raw_billing.{o}" for o in ("customers", "subscriptions", "invoices", "charges", "refunds")
    }
    crm_api = {t for t, *_ in landing_listing(small_world["landing"], {"crm": "api"})}
    assert "raw_crm.email_events" in crm_api and "raw_crm.leads" not in crm_api
    night = check_night(tmp_path / "none.duckdb", small_world["landing"], "x", None, {"crm": "api"})
    assert not night.nothing_new and "api mode" in night.reason


def test_a_field_named_like_a_mapped_column_is_kept_under_another_name():
    from dagster_project.lib.connectors.commit import project

    row = project({"cost": 5, "metrics": {"costMicros": "7"}}, {"cost": "metrics.costMicros"})
    assert row == {"cost": "7", "cost@api": 5}


def test_records_stamped_within_the_settle_margin_wait_for_the_next_run(standins, tmp_path):
    """A record stamped seconds ago may belong to a transaction not committed yet: a run reads
    up to settle_seconds ago, and the record comes with the next run."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    connector = salesforce(standins)
    run(con, connector, "crm", "users", tmp_path)
    user = dict(standins.world.records["users"][0], Title="VP", LastModifiedDate=datetime.now(UTC))
    standins.world.upsert("users", user, key="Id")
    connector.settle_seconds = 60
    run(con, connector, "crm", "users", tmp_path)
    assert standins.logged("salesforce")[-1].returned == 0
    connector.settle_seconds = 0
    run(con, connector, "crm", "users", tmp_path)
    assert standins.logged("salesforce")[-1].returned == 1


def test_refused_credentials_fail_redacted_and_are_not_retried(standins, tmp_path):
    c = CREDENTIALS["salesforce"]
    wrong = "wrong-secret-31415926"
    connector = SalesforceConnector(
        standins.url("salesforce"),
        standins.url("salesforce") + "/services/oauth2/token",
        c["client_id"],
        wrong,
        c["refresh_token"],
        retry=FAST,
    )
    standins.fail("salesforce", 400, match="/oauth2/token", body={"error": f"bad {wrong}"})
    with pytest.raises(ConnectorError) as refused:
        run(duckdb.connect(str(tmp_path / "w.duckdb")), connector, "crm", "users", tmp_path)
    assert wrong not in str(refused.value) and "HTTP 400" in str(refused.value)
    assert refused.value.retryable is False
