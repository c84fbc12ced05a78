"""Sales activities (CRM tasks): SDR follow-up of leads, deal work, outbound prospecting."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.generate.world.common import Sim, days, group_cumsum, record_ids

SUBJECTS = {"Call": "Discovery call", "Email": "Follow-up", "Meeting": "Demo / review"}


def simulate_activities(
    sim: Sim,
    leads: pd.DataFrame,
    opportunities: pd.DataFrame,
    contact_roles: pd.DataFrame,
    sdrs: np.ndarray,
) -> pd.DataFrame:
    """Every activity inside the world's span that names a person (``who_id``), oldest first."""
    rng = sim.rng
    follow_up = _sdr_follow_up(sim, leads)
    primary = contact_roles[contact_roles.is_primary].drop_duplicates("opp").set_index("opp")
    deal_work = _deal_activities(sim, opportunities, primary)
    prospecting = _outbound_prospecting(sim, opportunities, primary, sdrs)
    activities = pd.concat([follow_up, deal_work, prospecting], ignore_index=True)
    activities = activities[(activities.ts <= sim.end) & activities.who_id.notna()]
    activities = activities.sort_values("ts", kind="stable")
    activities["activity_id"] = record_ids("00T", len(activities))
    activities["subject"] = activities.type.map(SUBJECTS)
    activities["duration"] = np.where(
        activities.type == "Call", rng.integers(30, 1800, len(activities)), None
    )
    return activities.reset_index(drop=True)


def _sdr_follow_up(sim: Sim, leads: pd.DataFrame) -> pd.DataFrame:
    """Calls and emails to accepted leads; the first is the SAL moment. After conversion they
    name the contact instead of the lead."""
    rng = sim.rng
    followed = leads[leads.sal_at.notna()]
    per_lead = 1 + rng.poisson(1.5, len(followed))
    row = np.repeat(np.arange(len(followed)), per_lead)
    gaps = rng.exponential(3.0, per_lead.sum())
    gaps[np.cumsum(per_lead) - per_lead] = 0
    at = followed.sal_at.to_numpy()[row] + days(group_cumsum(gaps, per_lead))
    converted_at = followed.converted_at.to_numpy()[row]
    who = np.where(
        followed.converted_at.notna().to_numpy()[row] & (at > converted_at),
        followed.converted_contact_id.to_numpy()[row],
        followed.lead_id.to_numpy()[row],
    )
    return pd.DataFrame(
        {
            "who_id": who,
            "what_id": None,
            "owner_id": followed.owner_id.to_numpy()[row],
            "ts": at,
            "type": rng.choice(["Call", "Email"], len(row), p=[0.6, 0.4]),
            "person_idx": followed.person_idx.to_numpy()[row],
        }
    )


def _deal_activities(sim: Sim, opportunities: pd.DataFrame, primary: pd.DataFrame) -> pd.DataFrame:
    """Meetings, calls and emails of the account executive with the deal's primary contact."""
    rng = sim.rng
    per_deal = rng.poisson(3.0, len(opportunities))
    row = np.repeat(np.arange(len(opportunities)), per_deal)
    progress = rng.uniform(0, 1, per_deal.sum())
    at = opportunities.created_at.to_numpy()[row] + days(
        opportunities.cycle.to_numpy()[row] * progress
    )
    return pd.DataFrame(
        {
            "who_id": primary.contact_id.reindex(row).to_numpy(),
            "what_id": opportunities.opportunity_id.to_numpy()[row],
            "owner_id": opportunities.owner_id.to_numpy()[row],
            "ts": at,
            "type": rng.choice(["Meeting", "Call", "Email"], len(row), p=[0.4, 0.35, 0.25]),
            "person_idx": -1,
        }
    )


def _outbound_prospecting(
    sim: Sim, opportunities: pd.DataFrame, primary: pd.DataFrame, sdrs: np.ndarray
) -> pd.DataFrame:
    """SDR calls and emails in the week before a sales-sourced deal (after its contacts were
    created, 7-30 days before the deal)."""
    rng = sim.rng
    outbound = opportunities[opportunities.sourced_by == "sales"]
    per_deal = 2 + rng.poisson(1.5, len(outbound))
    row = np.repeat(np.arange(len(outbound)), per_deal)
    at = outbound.created_at.to_numpy()[row] - days(rng.uniform(1, 7, per_deal.sum()))
    return pd.DataFrame(
        {
            "who_id": primary.contact_id.reindex(outbound.index[row]).to_numpy(),
            "what_id": outbound.account_id.to_numpy()[row],
            "owner_id": rng.choice(sdrs, len(row)),
            "ts": at,
            "type": rng.choice(["Call", "Email"], len(row)),
            "person_idx": -1,
        }
    )
