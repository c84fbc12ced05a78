"""The write-back's pure rules: email normalisation and hashing per platform, the Bulk API CSV,
the platforms' age limits, the request bodies and the push settings."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from dagster_project.lib.connectors.conversions import (
    Conversion,
    hash_email,
    normalise_email,
    request_body,
)
from dagster_project.lib.connectors.push_config import PushSettings
from dagster_project.lib.connectors.push_fields import PUSH_BY_SOBJECT
from dagster_project.lib.connectors.push_state import (
    crm_changes,
    crm_payloads,
    ensure_state,
    push_crm,
    too_old,
)
from dagster_project.lib.env import SettingsError

# SHA-256 of "test@example.com": the digest the platforms' own documentation examples show
TEST_DIGEST = "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"


def test_emails_are_normalised_as_each_platform_specifies():
    assert normalise_email("  Test@Example.COM ", "meta_ads") == "test@example.com"
    assert hash_email("  Test@Example.COM ", "meta_ads") == TEST_DIGEST
    assert hash_email("TEST@example.com", "linkedin_ads") == TEST_DIGEST
    # Google removes the dots of a gmail.com / googlemail.com local part, and only there
    assert normalise_email(" John.Doe@GMail.com", "google_ads") == "johndoe@gmail.com"
    assert normalise_email("john.doe@googlemail.com", "google_ads") == "johndoe@googlemail.com"
    assert normalise_email("john.doe@example.com", "google_ads") == "john.doe@example.com"
    assert normalise_email(" John.Doe@GMail.com", "meta_ads") == "john.doe@gmail.com"
    assert hash_email("John.Doe@gmail.com", "google_ads") == (
        "06a240d11cc201676da976f7b49341181fd180da37cbe40a77432c0a366c80c3"
    )
    assert hash_email("   ", "meta_ads") is None
    assert hash_email(None, "google_ads") is None


def _conversion(**kw) -> Conversion:
    base = {
        "conversion_key": "google_ads:won_deal:006A",
        "platform": "google_ads",
        "conversion_type": "won_deal",
        "occurred_at": datetime(2026, 10, 20, 15, 30, 5),
        "value_amount": Decimal("12500.50"),
        "currency": "EUR",
        "click_id": "Cj0KCQabc",
        "clicked_at": datetime(2026, 9, 1, 8, 0, 0),
        "email": " Ana.Lopez@Gmail.com ",
    }
    return Conversion(**(base | kw))


def test_request_bodies_have_the_published_shapes_and_only_hashed_emails():
    google = request_body(
        "google_ads",
        [_conversion()],
        {"customer_id": "123-456-7890", "won_deal": "555"},
    )
    assert google == {
        "conversions": [
            {
                "gclid": "Cj0KCQabc",
                "conversionAction": "customers/1234567890/conversionActions/555",
                "conversionDateTime": "2026-10-20 15:30:05+00:00",
                "orderId": "google_ads:won_deal:006A",
                "conversionValue": 12500.5,
                "currencyCode": "EUR",
                "userIdentifiers": [{"hashedEmail": hash_email("analopez@gmail.com", "meta_ads")}],
            }
        ],
        "partialFailure": True,
    }
    meta = request_body("meta_ads", [_conversion(platform="meta_ads", click_id="IwAR1")], {})
    event = meta["data"][0]
    assert event["event_time"] == 1792510205  # 2026-10-20 15:30:05 UTC
    assert event["action_source"] == "system_generated"
    assert event["event_name"] == "Purchase"
    assert event["user_data"]["em"] == [hash_email("ana.lopez@gmail.com", "meta_ads")]
    assert event["user_data"]["fbc"] == "fb.1.1788249600000.IwAR1"  # click time in ms
    assert event["custom_data"]["value"] == 12500.5
    lead = request_body(
        "linkedin_ads",
        [_conversion(platform="linkedin_ads", conversion_type="qualified_lead", value_amount=None)],
        {"qualified_lead": "104"},
    )["elements"][0]
    assert lead["conversion"] == "urn:lla:llaPartnerConversion:104"
    assert lead["conversionHappenedAt"] == 1792510205000
    assert "conversionValue" not in lead
    assert {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": "Cj0KCQabc"} in (
        lead["user"]["userIds"]
    )
    # no address leaves in clear text
    for body in (google, meta, lead):
        assert "gmail" not in json.dumps(body).lower()


def test_age_limits_per_platform():
    now = datetime(2026, 10, 31, 14, 0)
    # Google counts from the click (90 days), Meta from the conversion (7 days)
    assert not too_old(_conversion(clicked_at=datetime(2026, 8, 3)), now)
    assert too_old(_conversion(clicked_at=datetime(2026, 8, 1)), now)
    meta = _conversion(platform="meta_ads")
    assert too_old(meta, now)  # 2026-10-20 is 11 days before
    assert not too_old(_conversion(platform="meta_ads", occurred_at=datetime(2026, 10, 25)), now)
    assert not too_old(_conversion(platform="linkedin_ads"), now)


def test_bulk_csv_sends_changed_fields_only_blank_keeps_and_na_empties():
    account = PUSH_BY_SOBJECT["Account"]
    changes = [
        ("001A", "RJW_Briefing__c", 'Sourced by "marketing"\nLast touch, 2026-10-30'),
        ("001A", "RJW_Engagement_Score__c", "42.5"),
        ("001B", "RJW_Surge_Date__c", None),
        ("001C", "RJW_Engagement_Score__c", "3.0"),
    ]
    files = crm_payloads(account, changes, max_records=2)
    assert len(files) == 2
    rows = [r for f in files for r in csv.reader(io.StringIO(f))]
    # header: Id and only the fields that change, in the documented order
    assert rows[0] == ["Id", "RJW_Engagement_Score__c", "RJW_Surge_Date__c", "RJW_Briefing__c"]
    assert rows[1] == ["001A", "42.5", "", 'Sourced by "marketing"\nLast touch, 2026-10-30']
    assert rows[2] == ["001B", "", "#N/A", ""]
    assert rows[4] == ["001C", "3.0", "", ""]
    assert files[0].endswith("\n") and "\r" not in files[0]


def _tiny_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute(
        """create table marts.crm_account_updates as select * from (values
        ('001A', 42.46, 3, date '2026-10-26', true, timestamp '2026-10-30 21:11:59.5', 'b'),
        ('001B', null, null, null, false, null, null)) as t(account_id, engagement_score,
        engaged_people, surge_started_on, is_call_today, last_marketing_touch_at, briefing)"""
    )
    con.execute(
        """create table marts.crm_opportunity_updates as select * from (values
        ('006A', 'marketing', 'paid_search', 'x', 1200.456, null::timestamp, null)) as t(
        opportunity_id, sourced_by, sourcing_channel, first_touch, marketing_attributed_amount,
        last_sales_touch_at, briefing)"""
    )
    con.execute(
        """create table marts.crm_lead_updates as select * from (values
        ('00QA', null::double, '', null, 'sla_missed', date '2026-10-01')) as t(lead_id,
        engagement_score, sourcing_channel, first_touch, nurture_reason, nurture_since)"""
    )


def test_values_are_formatted_for_salesforce_and_unchanged_ones_not_sent(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _tiny_marts(con)
    ensure_state(con)
    changes = crm_changes(con, PUSH_BY_SOBJECT["Account"])
    assert sorted(changes) == [
        ("001A", "RJW_Briefing__c", "b"),
        ("001A", "RJW_Call_Today__c", "true"),
        ("001A", "RJW_Engaged_People__c", "3"),
        ("001A", "RJW_Engagement_Score__c", "42.5"),
        ("001A", "RJW_Last_Marketing_Touch__c", "2026-10-30T21:11:59.500Z"),
        ("001A", "RJW_Surge_Date__c", "2026-10-26"),
        # a false checkbox is a value; an empty field never pushed is not sent
        ("001B", "RJW_Call_Today__c", "false"),
    ]
    assert crm_changes(con, PUSH_BY_SOBJECT["Opportunity"])[0][2] == "1200.46"
    # an empty string is no value
    lead = crm_changes(con, PUSH_BY_SOBJECT["Lead"])
    assert [c[1] for c in lead] == ["RJW_Nurture_Reason__c", "RJW_Nurture_Since__c"]
    # what Salesforce confirmed is not sent again; a value that became empty is sent as #N/A
    con.execute(
        "insert into writeback.crm_values values ('Account', '001A', 'RJW_Surge_Date__c', "
        "'2026-10-26', now(), 'j'), ('Account', '001B', 'RJW_Surge_Date__c', '2026-10-19', "
        "now(), 'j')"
    )
    after = {(r, f): v for r, f, v in crm_changes(con, PUSH_BY_SOBJECT["Account"])}
    assert ("001A", "RJW_Surge_Date__c") not in after
    assert after[("001B", "RJW_Surge_Date__c")] is None


def test_a_dry_run_writes_the_payloads_and_changes_no_state(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _tiny_marts(con)
    counts = push_crm(con, None, tmp_path / "out", "20261031T020000Z-abc", log=lambda _: None)
    assert [(c.object, c.mode, c.rows_pending, c.rows_sent) for c in counts] == [
        ("Account", "dry_run", 2, 0),
        ("Opportunity", "dry_run", 1, 0),
        ("Lead", "dry_run", 1, 0),
    ]
    account_file = tmp_path / "out" / "20261031T020000Z-abc" / "salesforce" / "Account_001.csv"
    assert account_file.read_text().splitlines()[0].startswith("Id,RJW_Engagement_Score__c")
    assert con.execute("select count(*) from writeback.crm_values").fetchone()[0] == 0
    runs = con.execute("select object, mode, rows_pending from writeback.push_runs").fetchall()
    assert sorted(runs) == [
        ("Account", "dry_run", 2),
        ("Lead", "dry_run", 1),
        ("Opportunity", "dry_run", 1),
    ]
    # a second dry-run writes the same payload again (nothing was confirmed)
    again = push_crm(con, None, tmp_path / "out", "20261031T030000Z-def", log=lambda _: None)
    assert [c.rows_pending for c in again] == [2, 1, 1]


def test_push_settings_default_to_dry_run_and_live_names_what_is_missing():
    assert PushSettings.from_env({}, frozenset()).modes == {
        "salesforce": "dry_run",
        "google_ads": "dry_run",
        "meta_ads": "dry_run",
        "linkedin_ads": "dry_run",
    }
    sf = {"RJW_SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com"}
    secrets = frozenset({"RJW_SALESFORCE_CLIENT_ID", "RJW_SALESFORCE_CLIENT_SECRET"})
    # Salesforce goes live once its credentials are configured; a dry-run can be kept
    assert PushSettings.from_env(sf, secrets).modes["salesforce"] == "live"
    held = PushSettings.from_env(sf | {"RJW_PUSH_SALESFORCE": "dry_run"}, secrets)
    assert held.modes["salesforce"] == "dry_run"
    with pytest.raises(SettingsError, match="RJW_PUSH_META_ADS=live needs .*RJW_META_PIXEL_ID"):
        PushSettings.from_env({"RJW_PUSH_META_ADS": "live"}, frozenset())
    with pytest.raises(SettingsError, match="RJW_PUSH_GOOGLE_ADS='sometimes'"):
        PushSettings.from_env({"RJW_PUSH_GOOGLE_ADS": "sometimes"}, frozenset())
    meta = PushSettings.from_env(
        {"RJW_PUSH_META_ADS": "live", "RJW_META_PIXEL_ID": "99", "RJW_META_AD_ACCOUNT_ID": "act_1"},
        frozenset({"RJW_META_ACCESS_TOKEN"}),
    )
    assert meta.live == ["meta_ads"] and meta.targets["meta_ads"] == {"pixel_id": "99"}
