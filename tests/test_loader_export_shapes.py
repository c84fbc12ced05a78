"""The loader on files in the exact shapes real tools export (issue 13, item 2).

Each test writes a file the way the tool writes it (the API version is named beside it) and
asserts on loaded values, reject rows (file, line, column, reason) and manifest rows:

| case | shape |
| --- | --- |
| strict integers | Google Ads API report CSV, Stripe charges |
| one day per insights row | Meta Graph API insights without time_increment=1 |
| re-delivered content, export order | Meta insights files named by export time |
| compressed deliveries | Salesforce Bulk API CSV and Stripe NDJSON, gzipped |
| control characters | Salesforce CSV and Stripe NDJSON holding NUL |
| truncation | Salesforce CSV / Stripe NDJSON cut inside the last record |
| Stripe shapes | expanded references, 2025-03-31.basil fields (stripe/openapi fixtures3.json) |
| CSV shapes | CRLF text areas in LF rows, a stray quote, a 10 MB field, a 4 MB NDJSON record |
| named shapes | pretty-printed JSON, JSON arrays, API list pages, ';' CSV, empty files |
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.landing.contracts import get_contract
from dagster_project.lib.landing.errors import LandingContractError
from dagster_project.lib.landing.loader import landing_files, load_object
from dagster_project.lib.quality.findings import ensure_quality_tables, pending_loads
from dagster_project.lib.quality.rules import check_rejects_and_truncation, check_volume
from dagster_project.lib.quality.suite import Settings, load_suites

LEADS = get_contract("crm", "leads")
CUSTOMERS = get_contract("billing", "customers")
SUBSCRIPTIONS = get_contract("billing", "subscriptions")
INVOICES = get_contract("billing", "invoices")
CHARGES = get_contract("billing", "charges")
AD_STATS = get_contract("ads", "google_ads_campaign_stats")
INSIGHTS = get_contract("ads", "meta_ads_insights")


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        yield connection


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


def land(landing: Path, contract, name: str, content: str | bytes) -> Path:
    path = landing / contract.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def rejects(con) -> list[tuple]:
    return rows(
        con,
        "SELECT source_uri, line, column_name, error_type, reason, raw_record "
        "FROM raw_meta.load_rejects ORDER BY source_uri, line, column_name",
    )


def manifest(con) -> list[tuple]:
    return rows(
        con,
        "SELECT source_uri, status, rows_received, rows_loaded, rows_rejected, duplicate_of "
        "FROM raw_meta.load_manifest ORDER BY load_id",
    )


def ndjson(*records: dict | str) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


# Salesforce Bulk API 2.0 query results (API v63.0): every value quoted, LF line endings
# (lineEnding=LF, columnDelimiter=COMMA, the defaults); Description is a long text area.
LEAD_FIELDS = [
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Company",
    "Title",
    "Status",
    "LeadSource",
    "OwnerId",
    "IsConverted",
    "CreatedDate",
    "LastModifiedDate",
    "IsDeleted",
    "Description",
]


def sf_csv(*records: dict, newline: str = "\n") -> str:
    """A Bulk API 2.0 CSV of leads: header, then every value double-quoted."""

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    lines = [",".join(quote(f) for f in LEAD_FIELDS)]
    lines += [",".join(quote(r.get(f, "")) for f in LEAD_FIELDS) for r in records]
    return newline.join(lines) + newline


def lead(i: int, **fields: str) -> dict:
    record = {
        "Id": f"00Q5e00000AbCd{i:04d}",
        "FirstName": "Jane",
        "LastName": f"Doe{i}",
        "Email": f"jane.doe{i}@acme.example",
        "Company": "Acme Corp",
        "Title": "VP Marketing",
        "Status": "Open - Not Contacted",
        "LeadSource": "Web",
        "OwnerId": "0055e000001AbCdAAK",
        "IsConverted": "false",
        "CreatedDate": "2026-10-30T09:15:00.000+0000",
        "LastModifiedDate": "2026-10-30T09:15:00.000+0000",
        "IsDeleted": "false",
        "Description": "",
    }
    record.update(fields)
    return record


# ------------------------------------------------------------------- 1. strict integer parsing
def test_a_fraction_in_an_integer_column_is_rejected_never_rounded(con, landing):
    # Google Ads API v22 report (GAQL fields flattened): metrics.cost_micros is an int64. A tool
    # that writes cost in currency units (141.00) into the micros column must not load as
    # 141 micros. Decision: any decimal point or exponent is rejected, also 141.0.
    header = "segments_date,campaign_id,metrics_impressions,metrics_clicks,metrics_cost_micros,"
    csv_text = (
        header
        + "customer_currency_code\n"
        + "2026-10-30,21436587901,1520,37,141000000,EUR\n"  # 2: fine
        + "2026-10-30,21436587902,980,12,141.00,EUR\n"  # 3: currency units in micros
        + "2026-10-30,21436587903,500,5,141.0,EUR\n"  # 4: zero fraction: rejected too
        + "2026-10-30,21436587904,500,5,1.41E8,EUR\n"  # 5: exponent
        + "2026-10-30,21436587905,500,5.5,1000,EUR\n"  # 6: half a click
        + "2026-10-30,21436587906, 42 ,1,-0,EUR\n"  # 7: padded and signed whole numbers
    )
    land(landing, AD_STATS, "google_ads_campaign_stats_20261031T020000Z_full.csv", csv_text)
    # Stripe API 2025-03-31.basil charges: amounts are integers in the smallest currency unit
    charge = {
        "id": "ch_3PgafuB7WZ01zgkW0",
        "object": "charge",
        "customer": "cus_QXg1o8vcGmoR32",
        "amount": 2000,
        "amount_refunded": 0,
        "currency": "eur",
        "status": "succeeded",
        "paid": True,
        "refunded": False,
        "created": 1761811200,
    }
    land(
        landing,
        CHARGES,
        "charges_20261031T020000Z_full.json",
        ndjson(
            charge,
            {**charge, "id": "ch_2", "amount": 1999.5},
            {**charge, "id": "ch_3", "amount": 2000.0},
            {**charge, "id": "ch_4", "amount": "2000"},
        ),
    )

    stats = load_object(con, AD_STATS, landing)
    charges = load_object(con, CHARGES, landing)

    assert (stats.rows_received, stats.rows_loaded, stats.rows_rejected) == (6, 2, 4)
    assert rows(
        con,
        "SELECT campaign_id, metrics_impressions, metrics_cost_micros, _source_line "
        "FROM raw_ads.google_ads_campaign_stats ORDER BY _source_line",
    ) == [(21436587901, 1520, 141000000, 2), (21436587906, 42, 0, 7)]
    got = [r for r in rejects(con) if r[0].startswith("ads/")]
    assert [(r[1], r[2], r[3]) for r in got] == [
        (3, "metrics_cost_micros", "CAST"),
        (4, "metrics_cost_micros", "CAST"),
        (5, "metrics_cost_micros", "CAST"),
        (6, "metrics_clicks", "CAST"),
    ]
    assert (
        got[0][0]
        == "ads/google_ads_campaign_stats/google_ads_campaign_stats_20261031T020000Z_full.csv"
    )
    assert got[0][4] == (
        'could not convert "141.00" to BIGINT: an integer column takes whole numbers only '
        "(a fraction or exponent is rejected, never rounded)"
    )
    assert got[0][5] == "2026-10-30,21436587902,980,12,141.00,EUR"
    assert got[2][5] == "2026-10-30,21436587904,500,5,1.41E8,EUR"

    assert (charges.rows_received, charges.rows_loaded, charges.rows_rejected) == (4, 2, 2)
    assert rows(con, "SELECT id, amount FROM raw_billing.charges ORDER BY id") == [
        ("ch_3PgafuB7WZ01zgkW0", 2000),
        ("ch_4", 2000),
    ]
    got = [r for r in rejects(con) if r[0].startswith("billing/")]
    assert [(r[1], r[2], r[3]) for r in got] == [(2, "amount", "CAST"), (3, "amount", "CAST")]
    assert got[0][4].startswith('could not convert "1999.5" to BIGINT: an integer column')
    assert json.loads(got[1][5])["amount"] == 2000.0
    assert manifest(con) == [
        (
            "ads/google_ads_campaign_stats/google_ads_campaign_stats_20261031T020000Z_full.csv",
            "loaded",
            6,
            2,
            4,
            None,
        ),
        ("billing/charges/charges_20261031T020000Z_full.json", "loaded", 4, 2, 2, None),
    ]


# -------------------------------------------------------------- 2. Meta insights cover one day
def insight(campaign: str, start: str, stop: str, spend: str = "5339.50") -> dict:
    # Graph API v25.0 /{campaign-id}/insights: numbers come as strings
    return {
        "campaign_id": campaign,
        "campaign_name": "Q4 Demand Gen",
        "date_start": start,
        "date_stop": stop,
        "impressions": "361324",
        "clicks": "812",
        "spend": spend,
        "account_currency": "EUR",
    }


def test_a_meta_insights_row_over_several_days_is_rejected(con, landing):
    # with time_increment=1 every row is one day; without it (the API default) one row covers
    # the whole requested range
    name = "meta_ads_insights_20261031T020000Z_full.json"
    land(
        landing,
        INSIGHTS,
        name,
        ndjson(
            insight("120210000000000001", "2026-10-30", "2026-10-30"),
            insight("120210000000000002", "2026-10-01", "2026-10-30", "48211.07"),
        ),
    )

    result = load_object(con, INSIGHTS, landing)

    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    assert rows(
        con, "SELECT campaign_id, date_start, spend, _source_line FROM raw_ads.meta_ads_insights"
    ) == [("120210000000000001", date(2026, 10, 30), Decimal("5339.50"), 1)]
    [(uri, line, column, error_type, reason, raw)] = rejects(con)
    assert (uri, line, column, error_type) == (
        f"ads/meta_ads_insights/{name}",
        2,
        "date_stop",
        "ROW RULE",
    )
    assert reason == (
        "the row covers 2026-10-01 to 2026-10-30, not one day: export insights with "
        "time_increment=1 (one row per day)"
    )
    assert json.loads(raw)["spend"] == "48211.07"
    assert manifest(con) == [(f"ads/meta_ads_insights/{name}", "loaded", 2, 1, 1, None)]


# --------------------------------------------------------- 3. re-delivered content, export order
LATEST = (
    "SELECT spend, _source_uri FROM raw_ads.meta_ads_insights QUALIFY row_number() OVER "
    "(PARTITION BY campaign_id, date_start ORDER BY _source_seq DESC, _source_line DESC) = 1"
)  # the order of dbt's latest_version macro (dbt/macros/normalise.sql)


def epoch(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())


def test_an_old_export_delivered_again_under_a_new_name_loads_nothing(con, landing):
    # Meta restates spend: the export of the 31st corrects the 29th
    old = ndjson(insight("120210000000000001", "2026-10-29", "2026-10-29", "100.00"))
    new = ndjson(insight("120210000000000001", "2026-10-29", "2026-10-29", "90.00"))
    land(landing, INSIGHTS, "meta_ads_insights_20261030T020000Z_full.json", old)
    land(landing, INSIGHTS, "meta_ads_insights_20261031T020000Z_full.json", new)
    load_object(con, INSIGHTS, landing)
    assert rows(con, LATEST) == [
        (Decimal("90.00"), "ads/meta_ads_insights/meta_ads_insights_20261031T020000Z_full.json")
    ]
    first_id = rows(con, "SELECT min(load_id) FROM raw_meta.load_manifest")[0][0]

    # the tool sends the old export again, under a new name, plain and gzipped
    land(landing, INSIGHTS, "meta_ads_insights_20261101T020000Z_full.json", old)
    land(
        landing,
        INSIGHTS,
        "meta_ads_insights_20261102T020000Z_full.json.gz",
        gzip.compress(old.encode()),
    )
    again = load_object(con, INSIGHTS, landing)

    assert (again.files_seen, again.files_skipped, again.files_duplicate, again.rows_loaded) == (
        4,
        2,
        2,
        0,
    )
    assert [f.duplicate_of for f in again.files if f.status == "duplicate"] == [first_id] * 2
    assert manifest(con)[2:] == [
        (
            "ads/meta_ads_insights/meta_ads_insights_20261101T020000Z_full.json",
            "duplicate",
            0,
            0,
            0,
            first_id,
        ),
        (
            "ads/meta_ads_insights/meta_ads_insights_20261102T020000Z_full.json.gz",
            "duplicate",
            0,
            0,
            0,
            first_id,
        ),
    ]
    assert rows(con, "SELECT count(*) FROM raw_ads.meta_ads_insights") == [(2,)]
    assert rows(con, LATEST)[0][0] == Decimal("90.00")  # the correction stands
    # and a re-run skips the duplicates like any loaded file
    assert load_object(con, INSIGHTS, landing).files_skipped == 4


def test_latest_wins_by_export_time_not_by_arrival(con, landing):
    land(
        landing,
        INSIGHTS,
        "meta_ads_insights_20261031T020000Z_full.json",
        ndjson(insight("120210000000000001", "2026-10-29", "2026-10-29", "90.00")),
    )
    load_object(con, INSIGHTS, landing)
    # an older export (other content) arrives a day late
    land(
        landing,
        INSIGHTS,
        "meta_ads_insights_20261029T020000Z_full.json",
        ndjson(insight("120210000000000001", "2026-10-29", "2026-10-29", "80.00")),
    )
    load_object(con, INSIGHTS, landing)

    assert dict(rows(con, "SELECT _source_uri, _source_seq FROM raw_ads.meta_ads_insights")) == {
        "ads/meta_ads_insights/meta_ads_insights_20261031T020000Z_full.json": epoch(
            "20261031T020000Z"
        ),
        "ads/meta_ads_insights/meta_ads_insights_20261029T020000Z_full.json": epoch(
            "20261029T020000Z"
        ),
    }
    assert rows(con, LATEST)[0][0] == Decimal("90.00")
    # the load order is the other way round: the seq follows the export, not the arrival
    assert [m[0].rsplit("_", 2)[1] for m in manifest(con)] == [
        "20261031T020000Z",
        "20261029T020000Z",
    ]


# ---------------------------------------------------------------------- 4. compressed deliveries
def test_gzipped_csv_and_ndjson_are_listed_loaded_and_fingerprinted(con, landing):
    from dagster_project.lib.landing.watch import landing_listing  # what the sensor lists

    plain = sf_csv(lead(1), lead(2, CreatedDate="yesterday"), lead(3))
    csv_path = land(
        landing, LEADS, "leads_20261031T020000Z_full.csv.gz", gzip.compress(plain.encode())
    )
    customers = ndjson(
        {
            "id": "cus_QXg1o8vcGmoR32",
            "object": "customer",
            "email": "ap@acme.example",
            "metadata": {},
            "created": 1761811200,
            "livemode": True,
        },
        "{broken",
    )
    json_path = land(
        landing,
        CUSTOMERS,
        "customers_20261031T020000Z_full.json.gz",
        gzip.compress(customers.encode()),
    )

    assert landing_files(LEADS, landing) == [csv_path]
    assert landing_files(CUSTOMERS, landing) == [json_path]
    listed = {uri for _, uri, _, _ in landing_listing(landing)}
    assert listed == {
        "crm/leads/leads_20261031T020000Z_full.csv.gz",
        "billing/customers/customers_20261031T020000Z_full.json.gz",
    }

    leads = load_object(con, LEADS, landing)
    billing = load_object(con, CUSTOMERS, landing)

    assert (leads.rows_received, leads.rows_loaded, leads.rows_rejected) == (3, 2, 1)
    assert rows(con, 'SELECT "Id", _source_line FROM raw_crm.leads ORDER BY 2') == [
        ("00Q5e00000AbCd0001", 2),
        ("00Q5e00000AbCd0003", 4),
    ]
    assert [(r[0], r[1], r[2], r[3]) for r in rejects(con)] == [
        ("billing/customers/customers_20261031T020000Z_full.json.gz", 2, None, "MALFORMED JSON"),
        ("crm/leads/leads_20261031T020000Z_full.csv.gz", 3, "CreatedDate", "CAST"),
    ]
    assert (billing.rows_received, billing.rows_loaded) == (2, 1)
    sums = rows(
        con,
        "SELECT source_uri, size_bytes, sha256, content_sha256 FROM raw_meta.load_manifest "
        "ORDER BY load_id",
    )
    assert sums == [
        (
            "crm/leads/leads_20261031T020000Z_full.csv.gz",
            csv_path.stat().st_size,
            hashlib.sha256(csv_path.read_bytes()).hexdigest(),  # what the sensor compares
            hashlib.sha256(plain.encode()).hexdigest(),  # the content, for duplicates
        ),
        (
            "billing/customers/customers_20261031T020000Z_full.json.gz",
            json_path.stat().st_size,
            hashlib.sha256(json_path.read_bytes()).hexdigest(),
            hashlib.sha256(customers.encode()).hexdigest(),
        ),
    ]
    assert load_object(con, LEADS, landing).files_skipped == 1

    # a gzip stream cut off in transfer is refused, naming the file
    data = gzip.compress(sf_csv(*(lead(i) for i in range(50))).encode())
    land(landing, LEADS, "leads_20261101T020000Z_delta.csv.gz", data[: len(data) // 2])
    with pytest.raises(
        LandingContractError, match=r"leads_20261101T020000Z_delta\.csv\.gz.*cut off"
    ):
        load_object(con, LEADS, landing)


# ---------------------------------------------------------------------- 5. control characters
def test_control_characters_are_rejected_with_their_column(con, landing):
    # Decision: rejected (kept whole in load_rejects), not cleaned: nothing silently changed
    name = "leads_20261031T020000Z_full.csv"
    land(
        landing,
        LEADS,
        name,
        sf_csv(
            lead(1, Company="Acme\x00 Corp"),  # NUL, as a broken form integration sends it
            lead(2, Title="Head of\tGrowth", Description="line one\nline two\r\nthree"),
            lead(3, Title="CMO\x07"),
            lead(4),
        ),
    )
    land(
        landing,
        CUSTOMERS,
        "customers_20261031T020000Z_full.json",
        # Stripe escapes it in JSON (\u0000); decoded it is a NUL
        '{"id": "cus_1", "object": "customer", "name": "Acme\\u0000", "metadata": {}, '
        '"created": 1761811200, "livemode": true}\n'
        '{"id": "cus_2", "object": "customer", "name": "Globex", "metadata": {"note": "a\\u0000"}, '
        '"created": 1761811200, "livemode": true}\n'
        '{"id": "cus_3", "object": "customer", "name": "Ok\\ttab", "metadata": {}, '
        '"created": 1761811200, "livemode": true}\n',
    )

    leads = load_object(con, LEADS, landing)
    customers = load_object(con, CUSTOMERS, landing)

    assert (leads.rows_received, leads.rows_loaded, leads.rows_rejected) == (4, 2, 2)
    assert rows(con, 'SELECT "Id", "Title", _source_line FROM raw_crm.leads ORDER BY 3') == [
        ("00Q5e00000AbCd0002", "Head of\tGrowth", 3),
        ("00Q5e00000AbCd0004", "VP Marketing", 7),
    ]
    got = rejects(con)
    assert [(r[0], r[1], r[2], r[3]) for r in got] == [
        ("billing/customers/customers_20261031T020000Z_full.json", 1, "name", "CONTROL CHARACTER"),
        (
            "billing/customers/customers_20261031T020000Z_full.json",
            2,
            "metadata",
            "CONTROL CHARACTER",
        ),
        (f"crm/leads/{name}", 2, "Company", "CONTROL CHARACTER"),
        (f"crm/leads/{name}", 6, "Title", "CONTROL CHARACTER"),
    ]
    assert got[2][4].startswith("Company holds a control character other than tab, LF or CR")
    assert got[2][5] == sf_csv(lead(1, Company="Acme\x00 Corp")).splitlines()[1]
    assert (customers.rows_loaded, customers.rows_rejected) == (1, 2)
    assert rows(con, "SELECT id, name FROM raw_billing.customers") == [("cus_3", "Ok\ttab")]


# -------------------------------------------------------------------------------- 6. truncation
def test_a_file_cut_inside_its_last_free_text_column_is_truncated(con, landing):
    text = sf_csv(
        lead(1, Description="Asked for a demo."),
        lead(2, Description="Met at the booth.\nWants pricing for 50 seats,\nEU data residency"),
    )
    cut = text[: text.index("EU data")] + "EU da"  # the transfer stopped inside Description
    name = "leads_20261031T020000Z_full.csv"
    land(landing, LEADS, name, cut)

    result = load_object(con, LEADS, landing)

    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (2, 1, 1)
    [(uri, line, column, error_type, reason, raw)] = rejects(con)
    assert (uri, line, column, error_type) == (f"crm/leads/{name}", 3, "Description", "TRUNCATED")
    assert reason.startswith("the file ends inside a quoted value in this record, cut inside")
    assert raw.endswith("EU da")
    suite = load_suites()[LEADS.table]
    ensure_quality_tables(con)
    findings = check_rejects_and_truncation(
        con, suite, pending_loads(con, suite), landing, Settings()
    )
    [finding] = [f for f in findings if f.expectation == "files end with a complete record"]
    assert (finding.severity, finding.passed, finding.column) == ("ERROR", False, "Description")
    assert (
        f"crm/leads/{name} ends in an incomplete record at line 3, cut inside column Description"
        in finding.message
    )

    # cut between two fields (fewer fields), and an NDJSON cut: both truncated
    short = sf_csv(lead(3))
    land(landing, LEADS, "leads_20261101T020000Z_delta.csv", short[: short.index(',"Open')])
    land(
        landing,
        CUSTOMERS,
        "customers_20261031T020000Z_full.json",
        '{"id": "cus_1", "object": "customer", "metadata": {}, "created": 1761811200, '
        '"livemode": true}\n{"id": "cus_2", "object": "customer", "metadata": {}, "crea',
    )
    load_object(con, LEADS, landing)
    load_object(con, CUSTOMERS, landing)
    got = {(r[0], r[1]): (r[2], r[3]) for r in rejects(con)}
    assert got[("crm/leads/leads_20261101T020000Z_delta.csv", 2)] == ("Title", "TRUNCATED")
    assert got[("billing/customers/customers_20261031T020000Z_full.json", 2)] == (
        "metadata",
        "TRUNCATED",
    )


def test_a_complete_last_line_without_final_newline_is_fine(con, landing):
    land(landing, LEADS, "leads_20261031T020000Z_full.csv", sf_csv(lead(1), lead(2)).rstrip("\n"))
    land(
        landing,
        CUSTOMERS,
        "customers_20261031T020000Z_full.json",
        '{"id": "cus_1", "object": "customer", "metadata": {}, "created": 1761811200, '
        '"livemode": true}',
    )
    assert load_object(con, LEADS, landing).rows_loaded == 2
    assert load_object(con, CUSTOMERS, landing).rows_loaded == 1
    assert rejects(con) == []


# ------------------------------------------------------------------------------ 7. Stripe shapes
# Shapes from stripe/openapi openapi/fixtures3.json (API 2025-03-31.basil and later): subscription
# periods on items.data[], invoice.parent.subscription_details.subscription; and the same objects
# as 2024-06-20 (acacia) exported them; `expand[]=data.customer` returns the customer object.
EXPANDED_CUSTOMER = {
    "id": "cus_QXg1o8vcGmoR32",
    "object": "customer",
    "email": "ap@acme.example",
    "created": 1721948500,
    "livemode": False,
}
PRICE = {
    "id": "price_1PgafmB7WZ01zgkW6dKueIc5",
    "object": "price",
    "currency": "usd",
    "unit_amount": 2000,
    "recurring": {"interval": "month", "interval_count": 1},
}


def subscription_basil(**fields) -> dict:
    record = {
        "id": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        "object": "subscription",
        "customer": EXPANDED_CUSTOMER,
        "status": "active",
        "currency": "usd",
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_QXhVnC2h0Jczwc",
                    "object": "subscription_item",
                    "price": PRICE,
                    "quantity": 1,
                    "subscription": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
                    "current_period_start": 1761955200,
                    "current_period_end": 1764547200,
                }
            ],
            "has_more": False,
            "url": "/v1/subscription_items?subscription=sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        },
        "start_date": 1721954054,
        "canceled_at": None,
        "metadata": {},
        "created": 1721954054,
    }
    record.update(fields)
    return record


def test_stripe_expanded_references_and_basil_fields_load_without_nulls(con, landing):
    acacia = subscription_basil(
        id="sub_old",
        customer="cus_OLD",
        current_period_start=1759276800,
        current_period_end=1761955200,
        items={"object": "list", "data": [{"id": "si_old", "price": PRICE, "quantity": 2}]},
    )
    land(
        landing,
        SUBSCRIPTIONS,
        "subscriptions_20261031T020000Z_full.json",
        ndjson(
            subscription_basil(),
            acacia,
            subscription_basil(id="sub_x", customer={"object": "customer"}),
        ),
    )
    invoice = {
        "id": "in_1Pgc6tB7WZ01zgkWu9fdqL6I",
        "object": "invoice",
        "customer": "cus_QXg1o8vcGmoR32",
        "subscription": None,  # (absent or null from basil on)
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": {},
                "subscription": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
            },
        },
        "status": "paid",
        "currency": "usd",
        "amount_due": 2000,
        "amount_paid": 2000,
        "total": 2000,
        "lines": {"object": "list", "data": [], "has_more": False},
        "period_start": 1761955200,
        "period_end": 1764547200,
        "status_transitions": {"finalized_at": 1761958800, "paid_at": 1761962400},
        "created": 1761955200,
    }
    old_invoice = {**invoice, "id": "in_old", "subscription": "sub_old"}
    del old_invoice["parent"]
    land(landing, INVOICES, "invoices_20261031T020000Z_full.json", ndjson(invoice, old_invoice))
    charge = {
        "id": "ch_3PgafuB7WZ01zgkW0",
        "object": "charge",
        "customer": EXPANDED_CUSTOMER,
        "amount": 2000,
        "amount_refunded": 0,
        "currency": "usd",
        "status": "succeeded",
        "paid": True,
        "refunded": False,
        "created": 1761962400,
    }
    land(landing, CHARGES, "charges_20261031T020000Z_full.json", ndjson(charge))

    subs = load_object(con, SUBSCRIPTIONS, landing)
    load_object(con, INVOICES, landing)
    load_object(con, CHARGES, landing)

    assert rows(
        con,
        "SELECT id, customer, current_period_start, current_period_end FROM "
        "raw_billing.subscriptions ORDER BY _source_line",
    ) == [
        ("sub_1Pgc6rB7WZ01zgkWNy0Cn5nw", "cus_QXg1o8vcGmoR32", 1761955200, 1764547200),
        ("sub_old", "cus_OLD", 1759276800, 1761955200),
    ]
    assert (subs.rows_loaded, subs.rows_rejected) == (2, 1)
    [(uri, line, column, error_type, reason, _)] = rejects(con)
    assert (line, column, error_type) == (3, "customer", "CAST")
    assert reason.startswith('an expanded object without an "id"')
    assert rows(con, "SELECT id, customer, subscription FROM raw_billing.invoices ORDER BY 1") == [
        ("in_1Pgc6tB7WZ01zgkWu9fdqL6I", "cus_QXg1o8vcGmoR32", "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"),
        ("in_old", "cus_QXg1o8vcGmoR32", "sub_old"),
    ]
    extra = rows(
        con, "SELECT _extra FROM raw_billing.invoices WHERE id = 'in_1Pgc6tB7WZ01zgkWu9fdqL6I'"
    )
    assert json.loads(extra[0][0])["parent"]["type"] == "subscription_details"  # kept
    assert rows(con, "SELECT id, customer FROM raw_billing.charges") == [
        ("ch_3PgafuB7WZ01zgkW0", "cus_QXg1o8vcGmoR32")
    ]


# ---------------------------------------------------------------------------------- 8. CSV shapes
def test_salesforce_text_areas_with_crlf_inside_lf_rows_load(con, landing):
    name = "leads_20261031T020000Z_full.csv"
    land(
        landing,
        LEADS,
        name,
        sf_csv(
            lead(1, Description="Called twice.\r\nWants a demo\r\nin November."),
            lead(2, Description="Single line"),
            lead(3, Description="Two\r\nlines", CreatedDate="not a date"),
            lead(4, Description="x\r\n\r\ny"),
        ),
    )

    result = load_object(con, LEADS, landing)

    assert (result.rows_received, result.rows_loaded, result.rows_rejected) == (4, 3, 1)
    got = rows(
        con, "SELECT \"Id\", _extra ->> '$.Description', _source_line FROM raw_crm.leads ORDER BY 3"
    )
    assert got == [
        ("00Q5e00000AbCd0001", "Called twice.\r\nWants a demo\r\nin November.", 2),
        ("00Q5e00000AbCd0002", "Single line", 5),
        ("00Q5e00000AbCd0004", "x\r\n\r\ny", 8),
    ]
    [(uri, line, column, error_type, reason, raw)] = rejects(con)
    assert (uri, line, column, error_type) == (f"crm/leads/{name}", 6, "CreatedDate", "CAST")
    assert '"not a date"' in reason and raw.startswith('"00Q5e00000AbCd0003"')


def test_a_stray_quote_or_an_oversized_record_rejects_only_its_line(con, landing):
    # minimal quoting (quotes only where needed, as DuckDB COPY or pandas write it)
    header = "Id,LastName,Company,Title,Status,OwnerId,IsConverted,CreatedDate,LastModifiedDate"
    ts = "2026-10-30T09:15:00Z"

    def line(i: int, title: str) -> str:
        return f"00Q{i},Doe,Acme,{title},Working - Contacted,005A,false,{ts},{ts}"

    name = "leads_20261031T020000Z_full.csv"
    land(
        landing,
        LEADS,
        name,
        "\n".join(
            [
                header,
                line(1, "VP Marketing"),  # 2
                line(2, 'Buys 27" monitors'),  # 3: a stray quote inside an unquoted value
                line(3, '"Head of ""Growth"""'),  # 4: properly quoted
                line(4, "X" * (10 << 20)),  # 5: a 10 MB field
                line(5, 'Monitor 55"'),  # 6: a stray quote at the end of a value
                line(6, '"multi\nline"'),  # 7-8
                line(7, "CMO"),  # 9
            ]
        )
        + "\n",
    )
    huge = {
        "id": "cus_big",
        "object": "customer",
        "metadata": {"notes": "y" * (4 << 20)},
        "created": 1761811200,
        "livemode": True,
    }
    small = {"id": "cus_1", "object": "customer", "metadata": {}, "created": 1, "livemode": True}
    land(
        landing,
        CUSTOMERS,
        "customers_20261031T020000Z_full.json",
        ndjson(small, huge, small | {"id": "cus_3"}),
    )

    leads = load_object(con, LEADS, landing)
    customers = load_object(con, CUSTOMERS, landing)

    assert (leads.rows_received, leads.rows_loaded, leads.rows_rejected) == (7, 4, 3)
    assert rows(con, 'SELECT "Id", "Title", _source_line FROM raw_crm.leads ORDER BY 3') == [
        ("00Q1", "VP Marketing", 2),
        ("00Q3", 'Head of "Growth"', 4),
        ("00Q6", "multi\nline", 7),
        ("00Q7", "CMO", 9),
    ]
    got = [r for r in rejects(con) if r[0].startswith("crm/")]
    assert [(r[1], r[2], r[3]) for r in got] == [
        (3, None, "STRAY QUOTE"),
        (5, None, "LINE SIZE OVER MAXIMUM"),
        (6, None, "STRAY QUOTE"),
    ]
    assert got[0][4].startswith("a '\"' inside an unquoted value")
    assert got[0][5] == line(2, 'Buys 27" monitors')
    assert "Maximum line size of 2000000 bytes exceeded" in got[1][4]
    assert (customers.rows_received, customers.rows_loaded, customers.rows_rejected) == (3, 2, 1)
    [big] = [r for r in rejects(con) if r[0].startswith("billing/")]
    assert (big[1], big[3]) == (2, "LINE SIZE OVER MAXIMUM")
    assert (
        big[4]
        == f"record of {len(json.dumps(huge).encode())} bytes, over the maximum of 2000000 bytes"
    )


# --------------------------------------------------------------------------------- 9. named shapes
def test_json_documents_are_refused_naming_what_they_are(con, landing):
    record = {"id": "cus_1", "object": "customer", "metadata": {}, "created": 1, "livemode": True}
    cases = {
        "pretty.json": (json.dumps(record, indent=2) + "\n", "pretty-printed JSON object"),
        "array.json": (json.dumps([record, record]) + "\n", "JSON array of 2 elements"),
        "array_pretty.json": (json.dumps([record], indent=2) + "\n", "pretty-printed JSON array"),
        # GET /v1/customers (Stripe) and GET /{ad-account-id}/insights (Graph API v25.0)
        "stripe_page.json": (
            json.dumps(
                {"object": "list", "data": [record], "has_more": True, "url": "/v1/customers"}
            )
            + "\n",
            r'API list page \{"object": "list", "data": \[\.\.\.\], "has_more": \.\.\.\} '
            r"\(Stripe\) holding 1 records",
        ),
    }
    for name, (content, message) in cases.items():
        path = land(landing, CUSTOMERS, name, content)
        with pytest.raises(LandingContractError, match=rf"{name}.*{message}"):
            load_object(con, CUSTOMERS, landing)
        path.unlink()
    page = {
        "data": [insight("1", "2026-10-30", "2026-10-30")],
        "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}},
    }
    land(landing, INSIGHTS, "insights_page.json", json.dumps(page) + "\n")
    with pytest.raises(
        LandingContractError,
        match=r'insights_page\.json: line 1 is an API list page \{"data": \[\.\.\.\], '
        r'"paging": \.\.\.\} \(Graph API\)',
    ):
        load_object(con, INSIGHTS, landing)
    assert manifest(con) == []


def test_a_semicolon_csv_names_its_delimiter(con, landing):
    # Salesforce Bulk API 2.0 with columnDelimiter=SEMICOLON
    land(landing, LEADS, "leads_20261031T020000Z_full.csv", sf_csv(lead(1)).replace('","', '";"'))
    with pytest.raises(LandingContractError) as err:
        load_object(con, LEADS, landing)
    message = str(err.value)
    assert "leads_20261031T020000Z_full.csv" in message
    assert "separated by semicolons (';'), not commas" in message
    assert "required column(s) Id, LastName" in message


def test_empty_files_load_zero_rows_in_every_format(con, landing):
    header_only = sf_csv()
    files = {
        (LEADS, "leads_20261031T020000Z_delta.csv"): "",
        (LEADS, "leads_20261101T020000Z_delta.csv"): header_only,
        (LEADS, "leads_20261102T020000Z_delta.csv.gz"): gzip.compress(b""),
        (CUSTOMERS, "customers_20261031T020000Z_delta.json"): "",
        (CUSTOMERS, "customers_20261101T020000Z_delta.json"): "\n  \n",
    }
    for (contract, name), content in files.items():
        land(landing, contract, name, content)

    leads = load_object(con, LEADS, landing)
    customers = load_object(con, CUSTOMERS, landing)

    assert (leads.files_loaded, leads.rows_received, leads.rows_loaded) == (3, 0, 0)
    assert (customers.files_loaded, customers.rows_received) == (2, 0)
    assert manifest(con) == [(f"{c.folder}/{n}", "loaded", 0, 0, 0, None) for c, n in files]
    suites = load_suites()
    ensure_quality_tables(con)
    for contract in (LEADS, CUSTOMERS):
        suite = suites[contract.table]
        found = check_volume(con, suite, pending_loads(con, suite), Settings())
        assert found and all(f.severity == "WARN" and "is empty" in f.message for f in found)
