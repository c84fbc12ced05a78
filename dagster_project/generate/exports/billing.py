"""The billing system's exports (Stripe API objects as NDJSON): customers, subscriptions,
invoices, charges and refunds. Timestamps are epoch seconds, amounts in minor units."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dagster_project.generate.exports.writer import ExportParts, Writer, dirty_email
from dagster_project.lib.landing.contracts import Contract, get_contract


def _contract(name: str) -> Contract:
    return get_contract("billing", name)


def _epoch_seconds(timestamps) -> np.ndarray:
    return pd.Series(timestamps).to_numpy().astype("datetime64[s]").astype("int64")


def write_billing(writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts) -> None:
    """Write every billing object."""
    _write_customers(writer, world["customers"], parts)
    _write_subscriptions(writer, world["subscriptions"], world["invoices"], parts)
    _write_invoices(writer, world["invoices"], parts)
    _write_charges(writer, world["charges"], parts)
    _write_refunds(writer, world["refunds"], parts)


def _write_customers(writer: Writer, customers: pd.DataFrame, parts: ExportParts) -> None:
    """Customers, some with the CRM account id in their metadata. Sales fills it in some time
    after sign-up: the full export lacks it for some, the delta has it."""
    frame = customer_frame(writer.rng, customers)
    has_crm_id = customers.has_crm_id.to_numpy()
    late = has_crm_id & (writer.rng.random(len(customers)) < 0.3)
    if not late.any() and has_crm_id.any():  # every world shows the case at least once
        late[np.flatnonzero(has_crm_id)[0]] = True
    before = frame.copy()
    before.loc[late, "metadata"] = "{}"
    writer.write(_contract("customers"), before, parts.full)
    writer.write(_contract("customers"), frame[late], parts.delta)


def _subscription_items(subscriptions: pd.DataFrame) -> list[str]:
    """Each subscription's ``items`` list: one item with its price."""
    return [
        json.dumps(
            {
                "object": "list",
                "data": [
                    {
                        "id": "si_" + subscription_id[4:],
                        "object": "subscription_item",
                        "quantity": 1,
                        "price": {
                            "id": price_id,
                            "object": "price",
                            "currency": currency,
                            "unit_amount": int(unit_amount),
                            "recurring": {
                                "interval": "year" if yearly else "month",
                                "interval_count": 1,
                            },
                        },
                    }
                ],
            }
        )
        for subscription_id, price_id, currency, unit_amount, yearly in zip(
            subscriptions.subscription_id,
            subscriptions.price_id,
            subscriptions.currency,
            subscriptions.unit_amount,
            subscriptions.yearly,
            strict=True,
        )
    ]


def _write_subscriptions(
    writer: Writer, subscriptions: pd.DataFrame, invoices: pd.DataFrame, parts: ExportParts
) -> None:
    last_period_end = np.datetime64(invoices.period_end.max(), "s")
    writer.write(
        _contract("subscriptions"), subscription_frame(subscriptions, last_period_end), parts.full
    )


def _invoice_lines(invoices: pd.DataFrame, period_start, period_end) -> list[str]:
    """Each invoice's ``lines`` list: the subscription, and the onboarding fee if any."""
    lines = []
    for invoice_id, currency, base, setup, start, end in zip(
        invoices.invoice_id,
        invoices.currency,
        invoices.base_amount,
        invoices.setup_amount,
        period_start,
        period_end,
        strict=True,
    ):
        data = [
            {
                "id": "il_" + invoice_id[3:],
                "object": "line_item",
                "amount": int(base),
                "currency": currency,
                "description": "Revenue Journey Platform",
                "period": {"start": int(start), "end": int(end)},
                "quantity": 1,
            }
        ]
        if setup:
            data.append(
                {
                    "id": "il_s" + invoice_id[4:],
                    "object": "line_item",
                    "amount": int(setup),
                    "currency": currency,
                    "description": "Onboarding",
                    "quantity": 1,
                    "period": {"start": int(start), "end": int(start)},
                }
            )
        lines.append(
            json.dumps(
                {"object": "list", "data": data, "has_more": False, "total_count": len(data)}
            )
        )
    return lines


def _write_invoices(writer: Writer, invoices: pd.DataFrame, parts: ExportParts) -> None:
    writer.write(_contract("invoices"), invoice_frame(invoices), parts.full)


def _write_charges(writer: Writer, charges: pd.DataFrame, parts: ExportParts) -> None:
    writer.write(_contract("charges"), charge_frame(charges), parts.full)


def _write_refunds(writer: Writer, refunds: pd.DataFrame, parts: ExportParts) -> None:
    writer.write(_contract("refunds"), refund_frame(refunds), parts.full)


# ------------------------------------------------------------------------- the API objects
# Frame builders from the world's billing records: the full exports and the nightly deltas
# (``generate.nights``) share them.
def customer_frame(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    """Customers with the CRM account id in their metadata when they have it; emails as typed."""
    metadata = [
        json.dumps({"crm_account_id": account_id} if has_crm_id else {})
        for account_id, has_crm_id in zip(customers.account_id, customers.has_crm_id, strict=True)
    ]
    return pd.DataFrame(
        {
            "id": customers.customer_id,
            "object": "customer",
            "email": dirty_email(customers.email.to_numpy(), rng),
            "name": customers.name,
            "currency": customers.currency,
            "metadata": metadata,
            "created": _epoch_seconds(customers.created_at),
            "livemode": True,
            "delinquent": False,
        }
    )


def subscription_frame(subscriptions: pd.DataFrame, last_period_end: np.datetime64) -> pd.DataFrame:
    """Subscriptions in their first period; ``last_period_end`` fills the cancellation time
    column of those not canceled (the column is then blanked)."""
    start = _epoch_seconds(subscriptions.start_at)
    canceled = subscriptions.cancel_at.notna()
    canceled_at = _epoch_seconds(subscriptions.cancel_at.fillna(last_period_end))
    return pd.DataFrame(
        {
            "id": subscriptions.subscription_id,
            "object": "subscription",
            "customer": subscriptions.customer_id,
            "status": np.where(canceled, "canceled", "active"),
            "currency": subscriptions.currency,
            "items": _subscription_items(subscriptions),
            "start_date": start,
            "current_period_start": start,
            "current_period_end": start + np.where(subscriptions.yearly, 365, 30) * 86400,
            "canceled_at": pd.Series(canceled_at).where(canceled, None),
            "metadata": "{}",
            "created": start,
        }
    )


def invoice_frame(invoices: pd.DataFrame) -> pd.DataFrame:
    period_start = _epoch_seconds(invoices.period_start)
    period_end = _epoch_seconds(invoices.period_end)
    paid_at = pd.Series(_epoch_seconds(invoices.paid_at.fillna(invoices.period_start))).where(
        invoices.paid_at.notna()
    )
    transitions = [
        json.dumps(
            {
                "finalized_at": int(finalized),
                "paid_at": None if pd.isna(paid) else int(paid),
                "voided_at": int(finalized) + 86400 if status == "void" else None,
            }
        )
        for finalized, paid, status in zip(period_start, paid_at, invoices.status, strict=True)
    ]
    return pd.DataFrame(
        {
            "id": invoices.invoice_id,
            "object": "invoice",
            "customer": invoices.customer_id,
            "subscription": invoices.subscription_id,
            "status": invoices.status,
            "currency": invoices.currency,
            "amount_due": invoices.total,
            "amount_paid": np.where(invoices.status == "paid", invoices.total, 0),
            "total": invoices.total,
            "lines": _invoice_lines(invoices, period_start, period_end),
            "period_start": period_start,
            "period_end": period_end,
            "status_transitions": transitions,
            "created": period_start,
        }
    )


def charge_frame(charges: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": charges.charge_id,
            "object": "charge",
            "customer": charges.customer_id,
            "invoice": charges.invoice_id,
            "amount": charges.amount,
            "amount_refunded": charges.refund_amount,
            "currency": charges.currency,
            "status": np.where(charges.ok, "succeeded", "failed"),
            "paid": charges.ok,
            "refunded": (charges.refund_amount == charges.amount) & charges.ok,
            "failure_code": charges.failure_code,
            "created": _epoch_seconds(charges.ts),
        }
    )


def refund_frame(refunds: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": refunds.refund_id,
            "object": "refund",
            "charge": refunds.charge_id,
            "amount": refunds.amount,
            "currency": refunds.currency,
            "reason": refunds.reason,
            "status": "succeeded",
            "created": _epoch_seconds(refunds.ts),
        }
    )
