"""Stripe amounts keep their currency's decimals from the landing file to the revenue marts.

Stripe sends every amount as an integer in the currency's smallest unit: cents for USD, whole
yen for JPY (a zero-decimal currency), thousandths for KWD (a three-decimal one). A JPY and a KWD
customer, invoice, charge and refund, in Stripe's exact API shape, go through the real graph
(extract, quality gate, dbt build) on a copy of the session's build: 12,000 JPY must stay
12000 JPY (not 120.00) and 12.345 KWD must stay 12.345 (not 123.45), in the currency and in the
reporting currency, and the raw-to-mart reconciliation must hold.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from tests.conftest import pipeline_assets, resources_for

NEW = "20261101T020000Z"  # a later export than the sample world's
CREATED = int(datetime(2026, 10, 12, 9, 30, tzinfo=UTC).timestamp())
PAID = int(datetime(2026, 10, 14, 16, 0, tzinfo=UTC).timestamp())
REFUNDED = int(datetime(2026, 10, 20, 11, 0, tzinfo=UTC).timestamp())

# currency -> (invoice total, refund) in Stripe's minor units, and the expected major-unit values
CASES = {
    "jpy": {"total": 12000, "refund": 2000, "amount": Decimal("12000"), "back": Decimal("2000")},
    "kwd": {"total": 12345, "refund": 2345, "amount": Decimal("12.345"), "back": Decimal("2.345")},
}


def stripe_objects(currency: str, total: int, refund: int) -> dict[str, dict]:
    """A customer, a paid invoice, its successful charge and a partial refund, shaped as the
    Stripe API (and the generated billing/*.json lines) shape them."""
    suffix = f"fx{currency}"
    customer = f"cus_{suffix}"
    invoice = f"in_{suffix}"
    charge = f"ch_{suffix}"
    return {
        "customers": {
            "id": customer,
            "object": "customer",
            "email": f"ap@{suffix}-trading.example",
            "name": f"Exponent Test {currency.upper()} Trading",
            "currency": currency,
            "metadata": {},
            "created": CREATED,
            "livemode": True,
            "delinquent": False,
        },
        "invoices": {
            "id": invoice,
            "object": "invoice",
            "customer": customer,
            "subscription": None,
            "status": "paid",
            "currency": currency,
            "amount_due": total,
            "amount_paid": total,
            "total": total,
            "lines": {
                "object": "list",
                "data": [
                    {
                        "id": f"il_{suffix}",
                        "object": "line_item",
                        "amount": total,
                        "currency": currency,
                        "description": "Onboarding",
                        "period": {"start": CREATED, "end": CREATED},
                        "quantity": 1,
                    }
                ],
                "has_more": False,
                "total_count": 1,
            },
            "period_start": CREATED,
            "period_end": CREATED,
            "status_transitions": {"finalized_at": CREATED, "paid_at": PAID, "voided_at": None},
            "created": CREATED,
        },
        "charges": {
            "id": charge,
            "object": "charge",
            "customer": customer,
            "invoice": invoice,
            "amount": total,
            "amount_refunded": refund,
            "currency": currency,
            "status": "succeeded",
            "paid": True,
            "refunded": False,
            "failure_code": None,
            "created": PAID,
        },
        "refunds": {
            "id": f"re_{suffix}",
            "object": "refund",
            "charge": charge,
            "amount": refund,
            "currency": currency,
            "reason": "requested_by_customer",
            "status": "succeeded",
            "created": REFUNDED,
        },
    }


def write_delta(landing: Path) -> None:
    """One Stripe NDJSON delta file per object with the JPY and the KWD objects."""
    by_object: dict[str, list[dict]] = {}
    for currency, case in CASES.items():
        for obj, record in stripe_objects(currency, case["total"], case["refund"]).items():
            by_object.setdefault(obj, []).append(record)
    for obj, records in by_object.items():
        # the sample world's files are the shape to follow: same keys, same order
        sample = next((landing / "billing" / obj).glob("*_full.json"))
        first = json.loads(sample.read_text().splitlines()[0])
        for record in records:
            assert list(record) == list(first), f"{obj}: not the generated Stripe shape"
        path = landing / "billing" / obj / f"{obj}_{NEW}_delta.json"
        path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))


@pytest.fixture(scope="module")
def built(loaded, tmp_path_factory):
    """The session's good build, copied, with the JPY / KWD delta landed and the graph rerun."""
    assert loaded["result"].success
    root = tmp_path_factory.mktemp("fx")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    landing = root / "landing"
    shutil.copytree(loaded["world"]["landing"], landing)
    write_delta(landing)
    result = dg.materialize(
        pipeline_assets(),
        resources=resources_for(warehouse, landing, reports=root / "reports"),
        raise_on_error=False,
    )
    failures = [e.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert result.success, failures
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield SimpleNamespace(con=con, checks=checks)


def rate(con, currency: str) -> Decimal:
    """The October 2026 sample rate of the currency in US dollars (the reporting currency)."""
    usd_per_unit = dict(
        con.execute(
            """select currency, usd_per_unit from seeds.exchange_rates
               where rate_month = date '2026-10-01' and currency in (?, 'USD')""",
            [currency],
        ).fetchall()
    )
    assert usd_per_unit["USD"] == 1
    return usd_per_unit[currency]


def near(actual: Decimal, expected: Decimal) -> bool:
    """Equal to the cent (the marts round the converted amount to cents)."""
    return abs(actual - expected) <= Decimal("0.005")


@pytest.mark.parametrize("currency", list(CASES))
def test_staging_divides_by_the_currency_exponent(built, currency):
    case = CASES[currency]
    code = currency.upper()
    invoice = built.con.execute(
        """select currency, total_amount, amount_paid, total_amount_minor
           from staging.stg_billing__invoices where invoice_id = ?""",
        [f"in_fx{currency}"],
    ).fetchone()
    assert invoice == (code, case["amount"], case["amount"], case["total"])
    line = built.con.execute(
        "select line_amount from staging.stg_billing__invoice_lines where invoice_line_id = ?",
        [f"il_fx{currency}"],
    ).fetchone()
    assert line == (case["amount"],)
    charge = built.con.execute(
        """select charge_amount, refunded_amount from staging.stg_billing__charges
           where charge_id = ?""",
        [f"ch_fx{currency}"],
    ).fetchone()
    assert charge == (case["amount"], case["back"])
    refund = built.con.execute(
        "select refund_amount, refund_amount_minor from staging.stg_billing__refunds "
        "where refund_id = ?",
        [f"re_fx{currency}"],
    ).fetchone()
    assert refund == (case["back"], case["refund"])


def test_kwd_keeps_its_thousandths(built):
    # 12.345 KWD, not 123.45 and not rounded to 12.35
    shown = built.con.execute(
        """select cast(total_amount as varchar) from staging.stg_billing__invoices
           where invoice_id = 'in_fxkwd'"""
    ).fetchone()[0]
    assert shown == "12.345"
    assert built.con.execute(
        "select cast(total_amount as varchar) from staging.stg_billing__invoices "
        "where invoice_id = 'in_fxjpy'"
    ).fetchone()[0] in ("12000.000", "12000")


@pytest.mark.parametrize("currency", list(CASES))
def test_revenue_events_carry_the_currency_and_reporting_amounts(built, currency):
    case = CASES[currency]
    fx = rate(built.con, currency.upper())
    rows = dict(
        built.con.execute(
            """select event_type, (currency, amount, amount_reporting, reporting_currency)
               from intermediate.int_revenue_events_converted where customer_id = ?""",
            [f"cus_fx{currency}"],
        ).fetchall()
    )
    billed, back = case["amount"] * fx, case["back"] * fx
    for event_type, amount, reporting in [
        ("invoice_paid", case["amount"], billed),
        ("charge_succeeded", case["amount"], billed),
        ("refund", -case["back"], -back),
    ]:
        got_currency, got_amount, got_reporting, reporting_currency = rows[event_type]
        assert (got_currency, got_amount, reporting_currency) == (currency.upper(), amount, "USD")
        assert near(got_reporting, reporting), (event_type, got_reporting, reporting)
    # 12,000 JPY is about 80 USD, 12.345 KWD about 40 USD: a /100 slip would be far off
    assert Decimal(20) < billed < Decimal(200)


@pytest.mark.parametrize("currency", list(CASES))
def test_customer_revenue_in_the_reporting_currency(built, currency):
    case = CASES[currency]
    fx = rate(built.con, currency.upper())
    billed, back = case["amount"] * fx, case["back"] * fx
    row = built.con.execute(
        """select billing_currency, reporting_currency, paid_invoices, gross_billed_amount,
                  refunded_amount, billed_amount, collected_amount
           from marts.customer_revenue where customer_id = ?""",
        [f"cus_fx{currency}"],
    ).fetchone()
    assert row[:3] == (currency.upper(), "USD", 1)
    for got, expected in zip(row[3:], [billed, back, billed - back, billed - back], strict=True):
        assert near(got, expected), (row, expected)


def test_reconciliation_uses_the_exponent(built):
    """The raw-to-mart reconciliation (minor units back from the decimal amounts with each
    currency's exponent) ran in the build and found nothing, JPY and KWD included."""
    assert built.checks["assert_billed_revenue_reconciles_raw_to_mart"] is True
    per_currency = dict(
        built.con.execute(
            """select currency, sum(amount_minor) from (
                   select upper(currency) as currency, total as amount_minor
                   from raw_billing.invoices where id like 'in_fx%'
               ) group by currency"""
        ).fetchall()
    )
    assert per_currency == {"JPY": 12000, "KWD": 12345}
