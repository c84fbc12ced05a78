"""The sales process: converted leads become contacts and deals, sales adds outbound deals;
deals move through stages, with SDR and account-executive activities along the way."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CHANNEL_COLUMNS
from dagster_project.generate.world.common import Sim, days, record_ids


@dataclass(frozen=True)
class Stage:
    name: str
    probability: int
    progress: float  # share of the sales cycle after which the deal reaches the stage


OPEN_STAGES = [
    Stage("Prospecting", 10, 0.0),
    Stage("Qualification", 20, 0.15),
    Stage("Proposal", 50, 0.45),
    Stage("Negotiation", 75, 0.75),
]


@dataclass(frozen=True)
class SalesRecords:
    contacts: pd.DataFrame
    opportunities: pd.DataFrame
    contact_roles: pd.DataFrame


def list_price(employees) -> int:
    """Deal size before the channel and random factors: grows with the company, capped."""
    return 6000 + 25 * min(employees, 3000)


def simulate_sales(
    sim: Sim, leads: pd.DataFrame, persons: pd.DataFrame, accounts: pd.DataFrame
) -> SalesRecords:
    """Contacts, opportunities and their contact roles. An account's first conversion opens a
    deal, a conversion while it is open joins it; sales opens outbound deals at accounts
    marketing never converted. Sets ``converted_contact_id`` and ``converted_opportunity_id``
    on ``leads``."""
    converted = leads[leads.is_converted].sort_values(["account_idx", "converted_at"])
    contacts = pd.DataFrame(
        {
            "contact_id": record_ids("003", len(converted)),
            "person_idx": converted.person_idx.to_numpy(),
            "lead_id": converted.lead_id.to_numpy(),
            "created_at": converted.converted_at.to_numpy(),
            "lead_source": converted.lead_source.to_numpy(),
            "owner_id": accounts.owner_id.to_numpy()[converted.account_idx.to_numpy()],
        }
    )
    deals, roles = _inbound_deals(sim, converted, accounts)
    outbound_contacts = _outbound_deals(sim, converted, persons, accounts, deals)
    base = len(contacts)
    if len(outbound_contacts):
        person_idx = outbound_contacts.person_idx
        outbound = pd.DataFrame(
            {
                "contact_id": record_ids("003", len(outbound_contacts), start=base),
                "person_idx": person_idx.to_numpy(),
                "lead_id": None,
                "created_at": outbound_contacts.created_at.to_numpy().astype("datetime64[s]"),
                "lead_source": "Outbound",
                "owner_id": accounts.owner_id.to_numpy()[
                    persons.account_idx.to_numpy()[person_idx]
                ],
            }
        )
        contacts = pd.concat([contacts, outbound], ignore_index=True)
        roles += [
            {"opp": deal, "contact": base + number, "is_primary": primary}
            for number, (deal, primary) in enumerate(
                zip(outbound_contacts.opp, outbound_contacts.primary, strict=True)
            )
        ]
    opportunities = _opportunities(sim, deals, accounts)
    contacts["person_id"] = persons.person_id.to_numpy()[contacts.person_idx]
    contacts["account_id"] = persons.account_id.to_numpy()[contacts.person_idx]
    contact_roles = _contact_roles(sim, roles, opportunities, contacts)
    _link_converted_leads(leads, converted, contacts, opportunities)
    return SalesRecords(contacts, opportunities, contact_roles)


def _inbound_deals(
    sim: Sim, converted: pd.DataFrame, accounts: pd.DataFrame
) -> tuple[list[dict], list[dict]]:
    """Deals opened by conversions; the channel that first touched the lead sets win odds,
    cycle and size. A deal after the first one at an account is an expansion."""
    rng = sim.rng
    deals: list[dict] = []
    roles: list[dict] = []
    open_until: dict[int, np.datetime64] = {}
    open_deal: dict[int, int] = {}
    first_channel = converted.first_ch.to_numpy()
    for lead_row, (account, at) in enumerate(
        zip(
            converted.account_idx.to_numpy(),
            converted.converted_at.to_numpy().astype("datetime64[s]"),
            strict=True,
        )
    ):
        if account in open_until and at <= open_until[account]:
            roles.append({"opp": open_deal[account], "contact": lead_row, "is_primary": False})
            continue
        channel = first_channel[lead_row]
        expansion = account in open_until
        win_probability = 0.55 if expansion else CHANNEL_COLUMNS.p_win[channel]
        cycle = max(7.0, rng.gamma(4.0, CHANNEL_COLUMNS.cycle_days[channel] / 4.0))
        amount = (
            list_price(accounts.employees.iat[account]) * CHANNEL_COLUMNS.deal_multiplier[channel]
        )
        amount *= rng.lognormal(0, 0.35) * (0.5 if expansion else 1.0)
        deals.append(
            {
                "account_idx": account,
                "created_at": at,
                "cycle": cycle,
                "amount": round(amount / 100) * 100,
                "won": rng.random() < win_probability,
                "type": "Expansion" if expansion else "New Business",
                "source_lead_idx": lead_row,
                "first_ch": channel,
                "sourced_by": "marketing",
            }
        )
        open_until[account] = at + days(cycle + 30)
        open_deal[account] = len(deals) - 1
        roles.append({"opp": len(deals) - 1, "contact": lead_row, "is_primary": True})
    return deals, roles


def _outbound_deals(
    sim: Sim,
    converted: pd.DataFrame,
    persons: pd.DataFrame,
    accounts: pd.DataFrame,
    deals: list[dict],
) -> pd.DataFrame:
    """Sales-sourced deals at a tenth of the accounts marketing never converted, with one or
    two people marketing never reached as contacts. Appends to ``deals``; returns the new
    contacts (``opp`` the deal's position, ``primary`` the first contact)."""
    rng = sim.rng
    cold = np.setdiff1d(np.arange(len(accounts)), converted.account_idx.unique())
    cold = cold[rng.random(len(cold)) < 0.1]
    quiet_by_account = persons[~persons.engaged].groupby("account_idx").groups
    contacts = []
    for account in cold:
        members = quiet_by_account.get(account)
        if members is None or len(members) == 0:
            continue
        at = sim.start + days(rng.uniform(60, sim.span_days - 5))
        cycle = max(10.0, rng.gamma(4.0, 90 / 4.0))
        amount = list_price(accounts.employees.iat[account]) * rng.lognormal(0, 0.35)
        deals.append(
            {
                "account_idx": account,
                "created_at": at,
                "cycle": cycle,
                "amount": round(amount / 100) * 100,
                "won": rng.random() < 0.22,
                "type": "New Business",
                "source_lead_idx": -1,
                "first_ch": -1,
                "sourced_by": "sales",
            }
        )
        for number, person_idx in enumerate(list(members)[: 1 + int(rng.integers(0, 2))]):
            contacts.append(
                {
                    "person_idx": person_idx,
                    "created_at": at - days(rng.uniform(7, 30)),
                    "opp": len(deals) - 1,
                    "primary": number == 0,
                }
            )
    return pd.DataFrame(contacts)


def _opportunities(sim: Sim, deals: list[dict], accounts: pd.DataFrame) -> pd.DataFrame:
    """The deals as CRM opportunities: closed when the cycle ended inside the world's span."""
    opportunities = pd.DataFrame(deals)
    count = len(opportunities)
    account_idx = opportunities.account_idx
    opportunities["opportunity_id"] = record_ids("006", count)
    opportunities["account_id"] = accounts.account_id.to_numpy()[account_idx]
    opportunities["currency"] = accounts.currency.to_numpy()[account_idx]
    opportunities["owner_id"] = accounts.owner_id.to_numpy()[account_idx]
    opportunities["created_at"] = opportunities.created_at.astype("datetime64[s]")
    close_at = opportunities.created_at.to_numpy() + days(opportunities.cycle)
    opportunities["is_closed"] = close_at <= sim.end
    opportunities["close_at"] = close_at
    opportunities["is_won"] = opportunities.won & opportunities.is_closed
    opportunities["loss_reason"] = np.where(
        opportunities.is_closed & ~opportunities.won,
        sim.rng.choice(["Price", "Competitor", "No Decision", "Timing", "Product Fit"], count),
        None,
    )
    return opportunities


def _contact_roles(
    sim: Sim, roles: list[dict], opportunities: pd.DataFrame, contacts: pd.DataFrame
) -> pd.DataFrame:
    """The contacts on each opportunity; the one who opened it is the decision maker."""
    contact_roles = pd.DataFrame(roles, columns=["opp", "contact", "is_primary"])
    deal, contact = contact_roles.opp, contact_roles.contact
    contact_roles["opportunity_id"] = opportunities.opportunity_id.to_numpy()[deal]
    contact_roles["contact_id"] = contacts.contact_id.to_numpy()[contact]
    contact_roles["created_at"] = np.maximum(
        opportunities.created_at.to_numpy()[deal], contacts.created_at.to_numpy()[contact]
    )
    contact_roles["role"] = np.where(
        contact_roles.is_primary,
        "Decision Maker",
        sim.rng.choice(
            ["Champion", "Evaluator", "Technical Buyer", "Economic Buyer"], len(contact_roles)
        ),
    )
    contact_roles["role_id"] = record_ids("00K", len(contact_roles))
    return contact_roles


def _link_converted_leads(
    leads: pd.DataFrame,
    converted: pd.DataFrame,
    contacts: pd.DataFrame,
    opportunities: pd.DataFrame,
) -> None:
    """A converted lead points at the contact and the opportunity it created."""
    converted_ids = converted.lead_id.to_numpy()
    opportunity_of_lead = {
        converted_ids[int(deal.source_lead_idx)]: deal.opportunity_id
        for deal in opportunities.itertuples()
        if deal.source_lead_idx >= 0
    }
    contact_of_lead = dict(
        zip(converted.lead_id, contacts.contact_id[: len(converted)], strict=True)
    )
    leads["converted_contact_id"] = leads.lead_id.map(contact_of_lead)
    leads["converted_opportunity_id"] = leads.lead_id.map(opportunity_of_lead)


def simulate_stage_history(sim: Sim, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Each opportunity's stage changes; a lost deal stops at a random stage. Sets the current
    ``stage``, ``probability`` and ``updated_at`` on ``opportunities``."""
    created_at = opportunities.created_at.to_numpy()
    is_won = opportunities.is_won.to_numpy()
    is_closed = opportunities.is_closed.to_numpy()
    parts = []
    reached = sim.rng.integers(1, 5, len(opportunities))  # how far a lost deal got
    for position, stage in enumerate(OPEN_STAGES):
        at = created_at + days(opportunities.cycle.to_numpy() * stage.progress)
        keep = (at <= sim.end) & (is_won | ~is_closed | (reached > position))
        parts.append(
            pd.DataFrame(
                {
                    "opp": np.flatnonzero(keep),
                    "stage": stage.name,
                    "probability": stage.probability,
                    "ts": at[keep],
                }
            )
        )
    closed = np.flatnonzero(is_closed)
    parts.append(
        pd.DataFrame(
            {
                "opp": closed,
                "stage": np.where(is_won[closed], "Closed Won", "Closed Lost"),
                "probability": np.where(is_won[closed], 100, 0),
                "ts": opportunities.close_at.to_numpy()[closed],
            }
        )
    )
    history = pd.concat(parts, ignore_index=True).sort_values(["opp", "ts"], kind="stable")
    deal = history.opp
    history["opportunity_id"] = opportunities.opportunity_id.to_numpy()[deal]
    history["amount"] = opportunities.amount.to_numpy()[deal]
    history["close_date"] = opportunities.close_at.to_numpy()[deal]
    history["history_id"] = record_ids("008", len(history))
    latest = history.groupby("opp").tail(1).set_index("opp")
    every_deal = range(len(opportunities))
    opportunities["stage"] = latest.stage.reindex(every_deal).to_numpy()
    opportunities["probability"] = latest.probability.reindex(every_deal).to_numpy()
    opportunities["updated_at"] = latest["ts"].reindex(every_deal).to_numpy()
    return history.reset_index(drop=True)
