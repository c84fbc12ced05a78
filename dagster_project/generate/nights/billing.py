"""A night of billing (Stripe objects): subscriptions renew (a new invoice and a charge, the
subscription re-sent with its new period), open invoices get paid or voided, bank debits settle,
a few charges are refunded, subscriptions cancel, won deals and self-serve sign-ups become
customers.

Stripe objects carry no updated-at and no deletion flag: a changed object is sent again whole
(the latest export wins), and nothing is ever deleted. A finalized invoice is voided, a
subscription canceled, a charge refunded; a deleted customer would only vanish from a full list
export, so the nightly delta never deletes one.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dagster_project.generate.exports.billing import (
    charge_frame,
    customer_frame,
    invoice_frame,
    refund_frame,
    subscription_frame,
)
from dagster_project.generate.nights.night import Delta, Night, at_least_one
from dagster_project.generate.nights.state import SourceState
from dagster_project.generate.nights.truth import TruthTables
from dagster_project.generate.vocabulary import COMPANY_WORDS, FREE_MAIL_DOMAINS
from dagster_project.generate.world.billing import MONTH_DAYS
from dagster_project.generate.world.common import days, hex_ids

NAT = np.datetime64("NaT", "s")
DAY_SECONDS = 86_400
# daily odds: an open invoice is charged again / voided; a recent charge is refunded
P_RETRY, P_VOID, P_REFUND = 0.3, 0.02, 0.001
P_CANCEL = 0.15 / 365
FAILURE_CODES = ["card_declined", "insufficient_funds", "expired_card"]


def _epoch(moments) -> np.ndarray:
    return np.asarray(moments).astype("datetime64[s]").astype("int64")


def _moment(epoch_seconds) -> np.ndarray:
    return np.asarray(epoch_seconds, dtype="int64").astype("datetime64[s]")


def _with_transition(transitions: pd.Series, name: str, at: np.ndarray) -> list[str]:
    """``status_transitions`` JSON with ``name`` (paid_at, voided_at) set."""
    changed = []
    for text, moment in zip(transitions, at, strict=True):
        transition = json.loads(text)
        transition[name] = int(moment)
        changed.append(json.dumps(transition))
    return changed


def bill(
    night: Night,
    state: SourceState,
    truth: TruthTables,
    world: dict[str, pd.DataFrame],
    winners: pd.DataFrame,
    self_serve_per_day: float,
    delta: Delta,
) -> None:
    rng = night.rng("billing")
    invoices = state.current("invoices")
    charges = state.current("charges")
    settled = _settle_debits(night, rng, charges, invoices, delta)
    _collect_open_invoices(night, rng, invoices, charges, settled, delta)
    renewing = _renew(night, rng, state, invoices, delta)
    _cancel(night, rng, state, renewing, delta)
    _refund(night, rng, charges, delta)
    _new_customers(night, rng, state, truth, world, winners, self_serve_per_day, delta)


def _settle_debits(
    night: Night,
    rng: np.random.Generator,
    charges: pd.DataFrame,
    invoices: pd.DataFrame,
    delta: Delta,
) -> set[str]:
    """Yesterday's pending bank debits settle (most succeed, paying their invoice); returns
    the invoices they were for."""
    pending = charges[charges.status == "pending"].copy()
    succeeded = rng.random(len(pending)) < 0.95
    pending["status"] = np.where(succeeded, "succeeded", "failed")
    pending["paid"] = succeeded
    pending["failure_code"] = np.where(succeeded, None, "insufficient_funds")
    delta.add("charges", "updated", pending)
    paid = invoices[invoices.id.isin(pending.invoice[succeeded])]
    delta.add("invoices", "updated", _paid(paid, night.times(rng, len(paid), 6, 9)))
    return set(pending.invoice)


def _paid(invoices: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    paid = invoices.copy()
    paid["status"] = "paid"
    paid["amount_paid"] = paid.total
    paid["status_transitions"] = _with_transition(paid.status_transitions, "paid_at", _epoch(at))
    return paid


def _collect_open_invoices(
    night: Night,
    rng: np.random.Generator,
    invoices: pd.DataFrame,
    charges: pd.DataFrame,
    settled: set[str],
    delta: Delta,
) -> None:
    """Open invoices are charged again (paid when it succeeds) or voided."""
    open_invoices = invoices[(invoices.status == "open") & ~invoices.id.isin(settled)]
    draw = rng.random(len(open_invoices))
    retried = at_least_one(rng, draw < P_RETRY)
    voided = ~retried & (draw > 1 - P_VOID)
    attempt = open_invoices[retried]
    at = night.times(rng, len(attempt))
    succeeded = rng.random(len(attempt)) < 0.9
    new_charges = _charges(rng, attempt, at, succeeded)
    delta.add("charges", "new", charge_frame(new_charges))
    delta.add("invoices", "updated", _paid(attempt[succeeded], at[succeeded]))
    void = open_invoices[voided].copy()
    void["status"] = "void"
    void["status_transitions"] = _with_transition(
        void.status_transitions, "voided_at", _epoch(night.times(rng, len(void)))
    )
    delta.add("invoices", "updated", void)


def _charges(
    rng: np.random.Generator, invoices: pd.DataFrame, at: np.ndarray, succeeded: np.ndarray
) -> pd.DataFrame:
    """Charge attempts on ``invoices`` (export-shaped rows: id, customer, total, currency)."""
    count = len(invoices)
    return pd.DataFrame(
        {
            "charge_id": hex_ids(rng, "ch_", count, 20),
            "customer_id": invoices.customer.to_numpy(),
            "invoice_id": invoices.id.to_numpy(),
            "amount": invoices.total.to_numpy(),
            "refund_amount": 0,
            "currency": invoices.currency.to_numpy(),
            "ok": succeeded,
            "failure_code": np.where(succeeded, None, rng.choice(FAILURE_CODES, count)),
            "ts": at,
        }
    )


def _renew(
    night: Night,
    rng: np.random.Generator,
    state: SourceState,
    invoices: pd.DataFrame,
    delta: Delta,
) -> set[str]:
    """Subscriptions whose period ends tonight get the next period's invoice and a charge
    (most succeed, some bank debits are pending until tomorrow, some fail); the subscription
    is sent again with its new period. Returns the renewed subscriptions."""
    subscriptions = state.current("subscriptions", "status = 'active'")
    period_end = invoices.groupby("subscription").period_end.max()
    ends = period_end.reindex(subscriptions.id).to_numpy()
    start = _epoch(night.start)
    renewing = subscriptions[(ends >= start) & (ends < start + DAY_SECONDS)].copy()
    price = [json.loads(items)["data"][0]["price"] for items in renewing["items"]]
    yearly = np.array([item["recurring"]["interval"] == "year" for item in price], bool)
    period_start = _moment(period_end.reindex(renewing.id).to_numpy())
    period_days = np.where(yearly, 365.0, MONTH_DAYS)
    count = len(renewing)
    outcome = rng.random(count)
    paid = outcome < 0.78
    new_invoices = pd.DataFrame(
        {
            "invoice_id": hex_ids(rng, "in_", count, 20),
            "customer_id": renewing.customer.to_numpy(),
            "subscription_id": renewing.id.to_numpy(),
            "currency": renewing.currency.to_numpy(),
            "period_start": period_start,
            "period_end": period_start + days(period_days),
            "base_amount": np.array([item["unit_amount"] for item in price], dtype="int64"),
            "setup_amount": 0,
            "status": np.where(paid, "paid", "open"),
            "paid_at": np.where(paid, period_start + np.timedelta64(1, "h"), NAT),
        }
    )
    new_invoices["total"] = new_invoices.base_amount
    delta.add("invoices", "new", invoice_frame(new_invoices))
    charged = outcome < 0.95  # the rest waits for the next retry
    attempts = invoice_frame(new_invoices)[charged]
    charges = charge_frame(
        _charges(
            rng,
            attempts,
            period_start[charged] + np.timedelta64(1, "h"),
            outcome[charged] < 0.88,
        )
    )
    pending = (outcome[charged] >= 0.78) & (outcome[charged] < 0.88)
    charges.loc[pending, ["status", "paid"]] = ["pending", False]
    delta.add("charges", "new", charges)
    renewing["current_period_start"] = _epoch(period_start)
    renewing["current_period_end"] = _epoch(period_start + days(period_days))
    delta.add("subscriptions", "updated", renewing)
    return set(renewing.id)


def _cancel(
    night: Night,
    rng: np.random.Generator,
    state: SourceState,
    renewing: set[str],
    delta: Delta,
) -> None:
    subscriptions = state.current("subscriptions", "status = 'active'")
    chosen = ~subscriptions.id.isin(renewing).to_numpy() & (
        rng.random(len(subscriptions)) < P_CANCEL
    )
    canceled = subscriptions[chosen].copy()
    canceled["status"] = "canceled"
    canceled["canceled_at"] = _epoch(night.times(rng, len(canceled)))
    delta.add("subscriptions", "updated", canceled)


def _refund(night: Night, rng: np.random.Generator, charges: pd.DataFrame, delta: Delta) -> None:
    """A few charges of the last month are refunded, in full or in part; the charge is sent
    again with the amount refunded."""
    recent = (
        (charges.status == "succeeded")
        & (charges.amount_refunded == 0)
        & (charges.created >= _epoch(night.days_ago(30)))
    )
    refunded = charges[recent.to_numpy() & (rng.random(len(charges)) < P_REFUND)].copy()
    count = len(refunded)
    in_full = rng.random(count) < 0.4
    amount = np.where(
        in_full, refunded.amount, (refunded.amount * rng.uniform(0.1, 0.6, count)).round()
    ).astype("int64")
    refunded["amount_refunded"] = amount
    refunded["refunded"] = in_full
    delta.add("charges", "updated", refunded)
    refunds = pd.DataFrame(
        {
            "refund_id": hex_ids(rng, "re_", count, 20),
            "charge_id": refunded.id.to_numpy(),
            "amount": amount,
            "currency": refunded.currency.to_numpy(),
            "reason": rng.choice(
                ["requested_by_customer", "duplicate", "fraudulent"], count, p=[0.8, 0.15, 0.05]
            ),
            "ts": night.times(rng, count),
        }
    )
    delta.add("refunds", "new", refund_frame(refunds))


def _new_customers(
    night: Night,
    rng: np.random.Generator,
    state: SourceState,
    truth: TruthTables,
    world: dict[str, pd.DataFrame],
    winners: pd.DataFrame,
    self_serve_per_day: float,
    delta: Delta,
) -> None:
    """Accounts that won their first deal tonight start paying: a customer, a subscription at
    the deal's value, the first invoice (sometimes with an onboarding fee) and its charge.
    Now and then a self-serve sign-up the CRM never sees."""
    known = truth["customers"].crm_account_id
    first_wins = winners[~winners.AccountId.isin(known)].drop_duplicates("AccountId")
    crm = _crm_customers(rng, state, world, first_wins)
    self_serve = _self_serve_customers(night, rng, truth, int(rng.poisson(self_serve_per_day)))
    customers = pd.concat([crm, self_serve], ignore_index=True)
    if customers.empty:
        return
    delta.add("customers", "new", customer_frame(rng, customers))
    truth.append(
        "customers",
        pd.DataFrame(
            {
                "customer_id": customers.customer_id,
                "crm_account_id": customers.account_id,
                "self_serve": customers.self_serve,
                "has_crm_id_in_metadata": customers.has_crm_id,
            }
        ),
    )
    count = len(customers)
    start = customers.created_at.to_numpy().astype("datetime64[s]")
    yearly = customers.yearly.to_numpy()
    subscriptions = pd.DataFrame(
        {
            "subscription_id": hex_ids(rng, "sub_", count, 14),
            "customer_id": customers.customer_id.to_numpy(),
            "currency": customers.currency.to_numpy(),
            "start_at": start,
            "cancel_at": NAT,
            "yearly": yearly,
            "price_id": hex_ids(rng, "price_", count, 14),
            "unit_amount": np.where(
                yearly, customers.acv * 100, np.round(customers.acv * 100 / 12)
            ).astype("int64"),
        }
    )
    delta.add("subscriptions", "new", subscription_frame(subscriptions, NAT))
    setup = rng.random(count) < 0.2
    invoices = pd.DataFrame(
        {
            "invoice_id": hex_ids(rng, "in_", count, 20),
            "customer_id": subscriptions.customer_id,
            "subscription_id": subscriptions.subscription_id,
            "currency": subscriptions.currency,
            "period_start": start,
            "period_end": start + days(np.where(yearly, 365.0, MONTH_DAYS)),
            "base_amount": subscriptions.unit_amount,
            "setup_amount": np.where(setup, 50_000, 0),
            "status": "paid",
            "paid_at": start + np.timedelta64(10, "m"),
        }
    )
    invoices["total"] = invoices.base_amount + invoices.setup_amount
    first_invoices = invoice_frame(invoices)
    delta.add("invoices", "new", first_invoices)
    succeeded = np.ones(count, bool)
    charges = _charges(rng, first_invoices, start + np.timedelta64(10, "m"), succeeded)
    delta.add("charges", "new", charge_frame(charges))


def _crm_customers(
    rng: np.random.Generator,
    state: SourceState,
    world: dict[str, pd.DataFrame],
    first_wins: pd.DataFrame,
) -> pd.DataFrame:
    """The customer of each first win, billed to the deal's primary contact or a mailbox."""
    count = len(first_wins)
    accounts = world["accounts"].set_index("account_id").reindex(first_wins.AccountId)
    roles = state.current("opportunity_contact_roles", "IsPrimary")
    contact = roles.drop_duplicates("OpportunityId").set_index("OpportunityId").ContactId
    contacts = state.current("contacts").set_index("Id")
    primary_email = contacts.Email.reindex(contact.reindex(first_wins.Id)).to_numpy()
    mailbox = rng.random(count)
    domain = accounts.domain.to_numpy().astype(str)
    email = np.where(
        (mailbox < 0.45) & pd.notna(primary_email),
        primary_email,
        np.where(mailbox < 0.8, np.char.add("billing@", domain), np.char.add("ap@", domain)),
    )
    return pd.DataFrame(
        {
            "customer_id": hex_ids(rng, "cus_", count, 14),
            "account_id": first_wins.AccountId.to_numpy(),
            "name": accounts.name.to_numpy(),
            "email": pd.Series(email, dtype=object).str.strip().str.lower().to_numpy(),
            "currency": np.char.lower(accounts.currency.to_numpy().astype(str)),
            "created_at": first_wins.LastModifiedDate.to_numpy()
            + days(rng.uniform(0.02, 0.15, count)),
            "has_crm_id": rng.random(count) < 0.6,
            "self_serve": False,
            "acv": first_wins.Amount.to_numpy().astype(float),
            "yearly": rng.random(count) < 0.35,
        }
    )


def _self_serve_customers(
    night: Night, rng: np.random.Generator, truth: TruthTables, count: int
) -> pd.DataFrame:
    """Self-serve sign-ups, as ``world.billing._self_serve_customers`` makes them."""
    number = (truth["customers"].self_serve.sum() + np.arange(count)).astype(str)
    free_mail = rng.random(count) < 0.6
    domain = np.char.add(
        np.char.add(rng.choice(COMPANY_WORDS, count), "-shop"), np.char.add(number, ".io")
    )
    email = np.where(
        free_mail,
        np.char.add(
            np.char.add("founder", number), np.char.add("@", rng.choice(FREE_MAIL_DOMAINS, count))
        ),
        np.char.add("hello@", domain),
    )
    return pd.DataFrame(
        {
            "customer_id": hex_ids(rng, "cus_", count, 14),
            "account_id": None,
            "name": np.char.add("Self-serve ", number),
            "email": email,
            "currency": rng.choice(["usd", "eur", "gbp"], count, p=[0.6, 0.25, 0.15]),
            "created_at": night.times(rng, count, 0, 24),
            "has_crm_id": False,
            "self_serve": True,
            "acv": rng.choice([588.0, 1188.0, 2388.0], count),
            "yearly": False,
        }
    )
