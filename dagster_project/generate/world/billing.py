"""Billing: won deals become paying customers (plus self-serve sign-ups the CRM never saw),
with a subscription, invoices every period, charges and refunds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.vocabulary import COMPANY_WORDS, FREE_MAIL_DOMAINS
from dagster_project.generate.world.common import (
    DAY,
    Sim,
    days,
    group_positions,
    hex_ids,
)
from dagster_project.generate.world.sales import SalesRecords

NAT = np.datetime64("NaT")
MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class BillingRecords:
    customers: pd.DataFrame
    subscriptions: pd.DataFrame
    invoices: pd.DataFrame
    charges: pd.DataFrame
    refunds: pd.DataFrame


def simulate_billing(
    sim: Sim, sales: SalesRecords, persons: pd.DataFrame, accounts: pd.DataFrame
) -> BillingRecords:
    first_win = _first_wins(sim, sales.opportunities)
    customers = pd.concat(
        [
            _crm_customers(sim, first_win, sales, persons, accounts),
            # self-serve sign-ups: an eighth as many as CRM customers, at least three
            _self_serve_customers(sim, max(3, len(first_win) // 8)),
        ],
        ignore_index=True,
    )
    # annual contract value and billing period; self-serve pays monthly list prices
    n_self_serve = len(customers) - len(first_win)
    customers["acv"] = np.concatenate(
        [first_win.amount.to_numpy(), sim.rng.choice([588.0, 1188.0, 2388.0], n_self_serve)]
    )
    customers["yearly"] = np.concatenate(
        [sim.rng.random(len(first_win)) < 0.35, np.zeros(n_self_serve, bool)]
    )
    subscriptions, billed_until = _subscriptions(sim, customers)
    invoices = _invoices(sim, subscriptions, billed_until)
    charges = _charges(sim, invoices)
    return BillingRecords(
        customers=customers,
        subscriptions=subscriptions,
        invoices=invoices,
        charges=charges,
        refunds=_refunds(sim, charges),
    )


def _first_wins(sim: Sim, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Each account's first won deal that closed at least five days before the world's end."""
    won = opportunities[opportunities.is_won & (opportunities.close_at + 5 * DAY <= sim.end)]
    return won.sort_values("close_at").drop_duplicates("account_idx")


def _crm_customers(
    sim: Sim,
    first_win: pd.DataFrame,
    sales: SalesRecords,
    persons: pd.DataFrame,
    accounts: pd.DataFrame,
) -> pd.DataFrame:
    """A customer per account with a won deal, billed to the deal's decision maker or to a
    billing mailbox; 60 % carry the CRM account id in their metadata."""
    rng = sim.rng
    roles = sales.contact_roles
    primary = roles[roles.is_primary].drop_duplicates("opp").set_index("opp").contact
    primary_person = sales.contacts.person_idx.to_numpy()[
        primary.reindex(first_win.index).to_numpy()
    ]
    count = len(first_win)
    account_idx = first_win.account_idx.to_numpy()
    mailbox = rng.random(count)
    domain = accounts.domain.to_numpy()[account_idx].astype(str)
    email = np.where(
        mailbox < 0.45,
        persons.email.to_numpy()[primary_person],
        np.where(mailbox < 0.8, np.char.add("billing@", domain), np.char.add("ap@", domain)),
    )
    return pd.DataFrame(
        {
            "customer_id": hex_ids(rng, "cus_", count, 14),
            "account_idx": account_idx,
            "account_id": accounts.account_id.to_numpy()[account_idx],
            "name": accounts.name.to_numpy()[account_idx],
            "email": email,
            "currency": np.char.lower(accounts.currency.to_numpy()[account_idx].astype(str)),
            "created_at": first_win.close_at.to_numpy() + days(rng.uniform(0, 4, count)),
            "has_crm_id": rng.random(count) < 0.6,
            "self_serve": False,
        }
    )


def _self_serve_customers(sim: Sim, count: int) -> pd.DataFrame:
    """Self-serve sign-ups the CRM never saw (small, monthly, often free-mail)."""
    rng = sim.rng
    number = np.arange(count).astype(str)
    free_mail = rng.random(count) < 0.6
    domain = np.char.add(
        np.char.add(rng.choice(COMPANY_WORDS, count), "-shop"), np.char.add(number, ".io")
    )
    email = np.where(
        free_mail,
        np.char.add(
            np.char.add("founder", number),
            np.char.add("@", rng.choice(FREE_MAIL_DOMAINS, count)),
        ),
        np.char.add("hello@", domain),
    )
    return pd.DataFrame(
        {
            "customer_id": hex_ids(rng, "cus_", count, 14),
            "account_idx": -1,
            "account_id": None,
            "name": np.char.add("Self-serve ", number),
            "email": email,
            "currency": rng.choice(["usd", "eur", "gbp"], count, p=[0.6, 0.25, 0.15]),
            "created_at": sim.start + days(rng.uniform(0, sim.span_days - 5, count)),
            "has_crm_id": False,
            "self_serve": True,
        }
    )


def _subscriptions(sim: Sim, customers: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """One subscription per customer from sign-up; 15 % cancel within about a year.
    Also returns until when each one is billed (its cancellation, else the world's end)."""
    rng, count = sim.rng, len(customers)
    start = customers.created_at.to_numpy().astype("datetime64[s]")
    canceled = rng.random(count) < 0.15
    cancel_at = start + days(rng.uniform(40, 400, count))
    canceled &= cancel_at <= sim.end
    subscriptions = customers[["customer_id", "currency", "acv", "yearly"]].assign(
        subscription_id=hex_ids(rng, "sub_", count, 14),
        start_at=start,
        cancel_at=np.where(canceled, cancel_at, NAT),
        price_id=hex_ids(rng, "price_", count, 14),
    )
    subscriptions["unit_amount"] = np.where(
        subscriptions.yearly, subscriptions.acv * 100, np.round(subscriptions.acv * 100 / 12)
    ).astype("int64")
    return subscriptions, np.where(canceled, cancel_at, sim.end)


def _invoices(sim: Sim, subscriptions: pd.DataFrame, billed_until: np.ndarray) -> pd.DataFrame:
    """An invoice per billing period (a setup fee on some first ones); most are paid, the
    latest may be open, a few are void or uncollectible."""
    rng = sim.rng
    start = subscriptions.start_at.to_numpy()
    period_days = np.where(subscriptions.yearly, 365.0, MONTH_DAYS)
    per_subscription = np.floor((billed_until - start) / DAY / period_days).astype(int) + 1
    sub = np.repeat(np.arange(len(subscriptions)), per_subscription)
    period = group_positions(per_subscription)
    period_start = start[sub] + days(period * period_days[sub])
    invoices = pd.DataFrame(
        {
            "invoice_id": hex_ids(rng, "in_", len(sub), 20),
            "sub": sub,
            "customer_id": subscriptions.customer_id.to_numpy()[sub],
            "subscription_id": subscriptions.subscription_id.to_numpy()[sub],
            "currency": subscriptions.currency.to_numpy()[sub],
            "period_start": period_start,
            "period_end": period_start + days(period_days[sub]),
            "base_amount": subscriptions.unit_amount.to_numpy()[sub],
        }
    )
    setup = (period == 0) & (rng.random(len(sub)) < 0.2)
    invoices["setup_amount"] = np.where(setup, 50_000, 0)
    invoices["total"] = invoices.base_amount + invoices.setup_amount
    outcome = rng.random(len(invoices))
    latest = period == per_subscription[sub] - 1
    invoices["status"] = np.where(
        latest & (outcome < 0.25),
        "open",
        np.where(outcome < 0.02, "uncollectible", np.where(outcome < 0.035, "void", "paid")),
    )
    invoices["paid_at"] = np.where(
        invoices.status == "paid",
        period_start + days(rng.exponential(2.0, len(invoices))),
        NAT,
    )
    invoices = invoices[invoices.period_start <= sim.end]
    invoices = invoices[(invoices.status != "paid") | (invoices.paid_at <= sim.end)]
    return invoices.reset_index(drop=True)


def _charge_attempts(invoices: pd.DataFrame, at, succeeded: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "invoice_id": invoices.invoice_id,
            "customer_id": invoices.customer_id,
            "amount": invoices.total,
            "currency": invoices.currency,
            "ts": at,
            "ok": succeeded,
        }
    )


def _charges(sim: Sim, invoices: pd.DataFrame) -> pd.DataFrame:
    """A successful charge per paid invoice, sometimes after a failed one two days earlier;
    a failed charge for each uncollectible invoice. 3 % of the successful ones are refunded
    (fully or partly) when the refund falls inside the world's span."""
    rng = sim.rng
    paid = invoices[invoices.status == "paid"]
    failed_first = rng.random(len(paid)) < 0.05
    uncollectible = invoices[invoices.status == "uncollectible"]
    retried = paid[failed_first]
    charges = pd.concat(
        [
            _charge_attempts(paid, paid.paid_at.to_numpy(), succeeded=True),
            _charge_attempts(
                retried, paid.paid_at.to_numpy()[failed_first] - 2 * DAY, succeeded=False
            ),
            _charge_attempts(
                uncollectible, uncollectible.period_start.to_numpy() + DAY, succeeded=False
            ),
        ],
        ignore_index=True,
    )
    charges = charges.sort_values("ts", kind="stable").reset_index(drop=True)
    count = len(charges)
    charges["charge_id"] = hex_ids(rng, "ch_", count, 20)
    charges["failure_code"] = np.where(
        charges.ok,
        None,
        rng.choice(["card_declined", "insufficient_funds", "expired_card"], count),
    )
    refunded = charges.ok & (rng.random(count) < 0.03)
    in_full = rng.random(count) < 0.4
    charges["refund_amount"] = np.where(
        refunded,
        np.where(
            in_full,
            charges.amount,
            (charges.amount * rng.uniform(0.1, 0.6, count)).round().astype("int64"),
        ),
        0,
    )
    charges["refund_at"] = charges["ts"] + days(rng.uniform(1, 30, count))
    charges.loc[charges.refund_at > sim.end, "refund_amount"] = 0
    return charges


def _refunds(sim: Sim, charges: pd.DataFrame) -> pd.DataFrame:
    refunded = charges[charges.refund_amount > 0]
    return pd.DataFrame(
        {
            "refund_id": hex_ids(sim.rng, "re_", len(refunded), 20),
            "charge_id": refunded.charge_id,
            "amount": refunded.refund_amount,
            "currency": refunded.currency,
            "ts": refunded.refund_at,
            "reason": sim.rng.choice(
                ["requested_by_customer", "duplicate", "fraudulent"],
                len(refunded),
                p=[0.8, 0.15, 0.05],
            ),
        }
    ).reset_index(drop=True)
