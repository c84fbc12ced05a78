"""Simulates a B2B company's marketing and sales world, vectorised with NumPy.

The world is causally coherent: anonymous touches precede the form fill that creates a lead; leads
become MQLs, are followed up by SDRs, convert to contacts and opportunities; won opportunities
become paying billing customers; ad spend is derived from the clicks it bought. Channels differ in
volume, cost per click and quality (MQL, conversion and win rates, deal size, cycle length), so
attribution has a signal to find. Everything is drawn from one seeded ``numpy.random.Generator``
in a fixed order of steps: the same config gives the same world.

The output is a dict of pandas DataFrames in a neutral internal shape (UTC timestamps as
``datetime64``); ``generate.exports`` turns them into the exact file shapes of each source tool.
"""

from __future__ import annotations

import pandas as pd

from dagster_project.generate.channels import CH
from dagster_project.generate.config import WorldConfig
from dagster_project.generate.world.activities import simulate_activities
from dagster_project.generate.world.billing import simulate_billing
from dagster_project.generate.world.campaigns import simulate_campaigns
from dagster_project.generate.world.common import Sim
from dagster_project.generate.world.journeys import simulate_touches
from dagster_project.generate.world.leads import simulate_leads
from dagster_project.generate.world.marketing import simulate_marketing
from dagster_project.generate.world.people import (
    simulate_accounts,
    simulate_persons,
    simulate_users,
)
from dagster_project.generate.world.sales import simulate_sales, simulate_stage_history

__all__ = ["CH", "WorldConfig", "simulate"]


def simulate(cfg: WorldConfig) -> dict[str, pd.DataFrame]:
    """Build the whole world for ``cfg``; deterministic for a given config.

    The steps run in a fixed order because they share one random stream: reordering them, or
    the draws inside one, gives a different (equally valid) world."""
    sim = Sim.of(cfg)
    users, team = simulate_users(sim)
    accounts = simulate_accounts(sim, team)
    persons = simulate_persons(sim, accounts)
    ad_campaigns, crm_campaigns = simulate_campaigns(sim)
    touches, person_lead = simulate_touches(sim, persons)
    leads = simulate_leads(sim, person_lead, persons, team.sdrs)
    sales = simulate_sales(sim, leads, persons, accounts)
    stage_history = simulate_stage_history(sim, sales.opportunities)
    activities = simulate_activities(
        sim, leads, sales.opportunities, sales.contact_roles, team.sdrs
    )
    marketing = simulate_marketing(sim, touches, persons, leads, ad_campaigns, crm_campaigns)
    billing = simulate_billing(sim, sales, persons, accounts)
    return {
        "users": users,
        "accounts": accounts,
        "persons": persons,
        "ad_campaigns": ad_campaigns,
        "crm_campaigns": crm_campaigns,
        "touches": marketing.touches,
        "person_lead": person_lead,
        "leads": leads,
        "opportunities": sales.opportunities,
        "contacts": sales.contacts,
        "contact_roles": sales.contact_roles,
        "stage_history": stage_history,
        "activities": activities,
        "clicks": marketing.clicks,
        "forms": marketing.forms,
        "event_members": marketing.event_members,
        "email_sends": marketing.email_sends,
        "customers": billing.customers,
        "subscriptions": billing.subscriptions,
        "invoices": billing.invoices,
        "charges": billing.charges,
        "refunds": billing.refunds,
    }
