"""Ads and billing staging models on the small generated world: concrete values against the raw
tables, the landing files and the generator's ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

PLATFORMS = {
    "google_ads": {
        "campaigns": "stg_ads__google_ads_campaigns",
        "stats": "stg_ads__google_ads_campaign_stats",
        "clicks": "stg_ads__google_ads_clicks",
        "click_object": "google_ads_clicks",
    },
    "meta_ads": {
        "campaigns": "stg_ads__meta_ads_campaigns",
        "stats": "stg_ads__meta_ads_insights",
        "clicks": "stg_ads__meta_ads_clicks",
        "click_object": "meta_ads_clicks",
    },
    "linkedin_ads": {
        "campaigns": "stg_ads__linkedin_ads_campaigns",
        "stats": "stg_ads__linkedin_ads_analytics",
        "clicks": "stg_ads__linkedin_ads_clicks",
        "click_object": "linkedin_ads_clicks",
    },
}
BILLING_MODELS = [
    "stg_billing__customers",
    "stg_billing__subscriptions",
    "stg_billing__invoices",
    "stg_billing__invoice_lines",
    "stg_billing__charges",
    "stg_billing__refunds",
]
ADS_MODELS = [m for p in PLATFORMS.values() for k, m in p.items() if k != "click_object"]
MODELS = ADS_MODELS + BILLING_MODELS


@pytest.fixture(scope="module")
def con(loaded) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as c:
        yield c


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()


def _landing_records(world: dict, folder: str) -> list[dict]:
    """Every parseable record of the NDJSON landing files under ``folder``."""
    out = []
    for path in sorted(Path(world["landing"], folder).glob("*.json")):
        for line in path.read_text().splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:  # the generator's malformed rows
                continue
    return out


def _columns(con: duckdb.DuckDBPyConnection, model: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'staging' and table_name = ? order by ordinal_position",
        [model],
    ).fetchall()


def test_every_model_and_its_dbt_tests_succeed(loaded, con):
    result = loaded["result"]
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    for model in MODELS:
        assert dg.AssetKey(model) in materialized, f"{model} was not built"
        assert _columns(con, model), f"{model} is not in the warehouse"
    failed = [
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] in MODELS
        and not e.passed
        and e.severity != dg.AssetCheckSeverity.WARN
    ]
    assert failed == []


def test_platform_models_share_one_shape_per_family(con):
    for family in ("campaigns", "stats", "clicks"):
        shapes = {p: _columns(con, models[family]) for p, models in PLATFORMS.items()}
        assert shapes["meta_ads"] == shapes["google_ads"], family
        assert shapes["linkedin_ads"] == shapes["google_ads"], family
        platforms = con.execute(
            " union all ".join(
                f"select distinct platform from staging.{m[family]}" for m in PLATFORMS.values()
            )
        ).fetchall()
        assert sorted(platforms) == [("google_ads",), ("linkedin_ads",), ("meta_ads",)]


def test_google_spend_is_cost_micros_to_the_cent(con):
    staged, staged_minor, rows = _one(
        con,
        "select sum(spend_amount), sum(spend_amount_minor), count(*) "
        "from staging.stg_ads__google_ads_campaign_stats",
    )
    raw_micros, raw_rows = _one(
        con, "select sum(metrics_cost_micros), count(*) from raw_ads.google_ads_campaign_stats"
    )
    assert rows == raw_rows > 0
    assert staged == Decimal(raw_micros) / Decimal(1_000_000)
    assert staged_minor * 10_000 == raw_micros
    # row by row: micros rounded to cents, decimal = cents / 100
    assert (
        _one(
            con,
            """
            select count(*)
            from staging.stg_ads__google_ads_campaign_stats as s
            join raw_ads.google_ads_campaign_stats as r
                on s.ad_campaign_id = cast(r.campaign_id as varchar)
                and s.report_date = r.segments_date
            where s.spend_amount_minor <> round(r.metrics_cost_micros / 10000)
                or s.spend_amount * 100 <> s.spend_amount_minor
                or s.ad_campaign_day_key <> 'google_ads:' || r.campaign_id || ':'
                    || strftime(r.segments_date, '%Y-%m-%d')
            """,
        )[0]
        == 0
    )


def test_meta_string_numbers_are_typed_and_summed_like_the_file(loaded, con):
    records = _landing_records(loaded["world"], "ads/meta_ads_insights")
    assert records and isinstance(records[0]["spend"], str)  # the API sends strings
    file_spend = sum(Decimal(r["spend"]) for r in records)
    file_impressions = sum(int(r["impressions"]) for r in records)
    file_clicks = sum(int(r["clicks"]) for r in records)
    staged = _one(
        con,
        "select sum(spend_amount), sum(spend_amount_minor), sum(impressions), sum(clicks), "
        "count(*) from staging.stg_ads__meta_ads_insights",
    )
    assert staged == (
        file_spend,
        int(file_spend * 100),
        file_impressions,
        file_clicks,
        len(records),
    )
    types = dict(_columns(con, "stg_ads__meta_ads_insights"))
    assert types["impressions"] == types["clicks"] == "BIGINT"
    assert types["spend_amount"] == "DECIMAL(18,2)"


def test_linkedin_urns_and_date_objects_are_parsed(loaded, con):
    records = _landing_records(loaded["world"], "ads/linkedin_ads_analytics")
    expected = {
        (
            r["pivotValues"][0].rsplit(":", 1)[1],
            date(
                r["dateRange"]["start"]["year"],
                r["dateRange"]["start"]["month"],
                r["dateRange"]["start"]["day"],
            ),
            Decimal(str(r["costInLocalCurrency"])).quantize(Decimal("0.01")),
        )
        for r in records
    }
    staged = set(
        con.execute(
            "select ad_campaign_id, report_date, spend_amount "
            "from staging.stg_ads__linkedin_ads_analytics"
        ).fetchall()
    )
    assert staged == expected
    # analytics carry no currency: it is left to the campaign, not invented
    assert _one(con, "select count(currency) from staging.stg_ads__linkedin_ads_analytics") == (0,)
    # click URNs and epoch milliseconds
    click = _landing_records(loaded["world"], "ads/linkedin_ads_clicks")[0]
    row = _one(
        con,
        "select ad_campaign_id, clicked_at, click_date from staging.stg_ads__linkedin_ads_clicks "
        f"where click_id = '{click['li_fat_id']}'",
    )
    clicked = datetime.fromtimestamp(click["clickedAt"] / 1000, UTC).replace(tzinfo=None)
    assert row == (click["campaign"].rsplit(":", 1)[1], clicked, clicked.date())


def test_google_clicks_are_the_distinct_gclids(con):
    staged, distinct_staged = _one(
        con,
        "select count(*), count(distinct click_id) from staging.stg_ads__google_ads_clicks",
    )
    raw, distinct_raw, files = _one(
        con,
        "select count(*), count(distinct click_view_gclid), count(distinct _source_uri) "
        "from raw_ads.google_ads_clicks",
    )
    assert files == 2 and raw > distinct_raw  # the overlap day arrives twice
    assert staged == distinct_staged == distinct_raw
    # the overlap is exactly one day, present in both files
    overlap_days = con.execute(
        "select distinct segments_date from raw_ads.google_ads_clicks "
        "group by click_view_gclid, segments_date having count(*) > 1"
    ).fetchall()
    assert len(overlap_days) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_clicks_reconcile_with_daily_stats_and_campaign_tags(loaded, con, platform):
    models = PLATFORMS[platform]
    staged_ids = {
        r[0] for r in con.execute(f"select click_id from staging.{models['clicks']}").fetchall()
    }
    with duckdb.connect() as mem:
        rejected = {
            r[0]
            for r in mem.execute(
                f"select record_id from '{loaded['world']['truth']}/malformed.parquet' "
                "where object = ?",
                [models["click_object"]],
            ).fetchall()
        }
    stats_clicks = _one(con, f"select sum(clicks) from staging.{models['stats']}")[0]
    # the platform's daily clicks are the click records, less the rows the loader rejected
    assert stats_clicks == len(staged_ids) + len(rejected - staged_ids)
    # every click's landing-URL utm_campaign is its campaign's utm_campaign
    mismatched = _one(
        con,
        f"""
        select count(*)
        from staging.{models["clicks"]} as k
        join staging.{models["campaigns"]} as c using (ad_campaign_key)
        where k.utm_campaign is distinct from c.utm_campaign
            or k.utm_source is distinct from c.utm_source
            or k.utm_medium is distinct from c.utm_medium
        """,
    )[0]
    assert mismatched == 0


def test_customer_reexported_in_the_delta_has_its_crm_account_id(loaded, con):
    folder = Path(loaded["world"]["landing"], "billing/customers")
    full, delta = (
        {r["id"]: r for r in map(json.loads, next(folder.glob(pattern)).read_text().splitlines())}
        for pattern in ("*_full.json", "*_delta.json")
    )
    # exported first without the CRM id, re-exported once sales set it
    late = {
        cid: r["metadata"]["crm_account_id"]
        for cid, r in delta.items()
        if "crm_account_id" not in full[cid]["metadata"] and r["metadata"].get("crm_account_id")
    }
    assert late, "the world has no customer re-exported with its CRM id"
    staged = dict(
        con.execute(
            "select customer_id, crm_account_id from staging.stg_billing__customers"
        ).fetchall()
    )
    assert {cid: staged[cid] for cid in late} == late


def test_crm_account_ids_agree_with_the_ground_truth(loaded, con):
    truth = con.execute(
        "select customer_id, crm_account_id, has_crm_id_in_metadata "
        f"from '{loaded['world']['truth']}/customers.parquet'"
    ).fetchall()
    staged = dict(
        con.execute(
            "select customer_id, crm_account_id from staging.stg_billing__customers"
        ).fetchall()
    )
    assert set(staged) == {t[0] for t in truth}
    linked = [t for t in truth if t[2]]
    assert linked and all(staged[cid] == account for cid, account, _ in linked)
    assert all(staged[cid] is None for cid, _, has_id in truth if not has_id)


def test_invoice_lines_sum_to_invoice_totals(con):
    rows = con.execute(
        """
        select i.invoice_id, i.total_amount_minor, sum(l.line_amount_minor), sum(l.line_amount)
        from staging.stg_billing__invoices as i
        left join staging.stg_billing__invoice_lines as l using (invoice_id)
        group by all
        """
    ).fetchall()
    assert rows
    for invoice_id, total, lines_minor, lines in rows:
        assert lines_minor == total, invoice_id
        assert lines == Decimal(total) / 100, invoice_id
    # setup fees make some invoices multi-line
    raw_lines = _one(
        con, "select sum(json_array_length(lines, '$.data')) from raw_billing.invoices"
    )[0]
    assert _one(con, "select count(*) from staging.stg_billing__invoice_lines")[0] == raw_lines
    assert raw_lines > len(rows)


def test_money_and_currencies_are_normalised(con):
    money = {
        "stg_billing__subscriptions": ["unit_amount"],
        "stg_billing__invoices": ["amount_due", "amount_paid", "total_amount"],
        "stg_billing__invoice_lines": ["line_amount"],
        "stg_billing__charges": ["charge_amount", "refunded_amount"],
        "stg_billing__refunds": ["refund_amount"],
    }
    for model in MODELS:
        cols = dict(_columns(con, model))
        if "currency" in cols and model != "stg_ads__linkedin_ads_analytics":
            currencies = {
                r[0] for r in con.execute(f"select currency from staging.{model}").fetchall()
            }
            assert currencies and currencies <= {"USD", "EUR", "GBP"}, (model, currencies)
        for col, data_type in cols.items():
            if col.endswith("_at"):
                assert data_type == "TIMESTAMP", (model, col)  # naive UTC
        for name in money.get(model, []):
            # in the billing currency: thousandths for three-decimal currencies (KWD, BHD, ...)
            assert cols[name] == "DECIMAL(18,3)" and cols[f"{name}_minor"] == "BIGINT"
            bad = _one(
                con,
                f"select count(*) from staging.{model} where {name} * 100 <> {name}_minor",
            )[0]
            assert bad == 0, (model, name)


def test_epoch_seconds_and_offsets_become_naive_utc(loaded, con):
    charge = _landing_records(loaded["world"], "billing/charges")[0]
    created = datetime.fromtimestamp(charge["created"], UTC).replace(tzinfo=None)
    assert _one(
        con,
        f"select created_at, charge_amount_minor, currency from staging.stg_billing__charges "
        f"where charge_id = '{charge['id']}'",
    ) == (created, charge["amount"], charge["currency"].upper())
    # Meta exports mix UTC offsets: a +01:00 click is an hour earlier in UTC
    click = next(
        r
        for r in _landing_records(loaded["world"], "ads/meta_ads_clicks")
        if not r["click_time"].endswith("Z")
    )
    expected = datetime.fromisoformat(click["click_time"]).astimezone(UTC).replace(tzinfo=None)
    assert _one(
        con,
        f"select clicked_at from staging.stg_ads__meta_ads_clicks "
        f"where click_id = '{click['fbclid']}'",
    ) == (expected,)


def test_refunds_match_the_refunded_amount_of_their_charges(con):
    mismatched = _one(
        con,
        """
        select count(*)
        from staging.stg_billing__charges as c
        left join (
            select charge_id, sum(refund_amount_minor) as refunded
            from staging.stg_billing__refunds
            group by charge_id
        ) as r using (charge_id)
        where coalesce(r.refunded, 0) <> c.refunded_amount_minor
        """,
    )[0]
    assert mismatched == 0
    assert _one(con, "select count(*) from staging.stg_billing__refunds")[0] > 0
