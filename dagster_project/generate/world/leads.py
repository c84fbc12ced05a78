"""Leads: created by a form fill, then MQL, SAL (an SDR follows up), SQL and conversion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CH, CHANNEL_COLUMNS
from dagster_project.generate.world.common import DAY, Sim, days, record_ids

NAT = np.datetime64("NaT")
# the CRM's lead source of the channel that created the lead
LEAD_SOURCE = {
    "paid_search": "Paid Search",
    "display": "Display",
    "meta": "Paid Social",
    "linkedin": "Paid Social",
    "organic_search": "Organic Search",
    "referral": "Partner Referral",
    "direct": "Web",
    "content": "Content",
    "event": "Trade Show",
    "webinar": "Webinar",
    "email": "Email",
}


@dataclass(frozen=True)
class Lifecycle:
    """Every lead's lifecycle moments; a flag says whether it reached the stage."""

    mql_at: np.ndarray
    is_mql: np.ndarray
    sal_at: np.ndarray
    followed_up: np.ndarray
    sql_at: np.ndarray
    is_sql: np.ndarray
    converted_at: np.ndarray
    converted: np.ndarray


def simulate_leads(
    sim: Sim, person_lead: pd.DataFrame, persons: pd.DataFrame, sdrs: np.ndarray
) -> pd.DataFrame:
    """One lead per person who filled a form, plus duplicate leads of some of them."""
    rng = sim.rng
    count = len(person_lead)
    first_channel = person_lead.first_ch.to_numpy()
    lead_at = person_lead.lead_at.to_numpy().astype("datetime64[s]")
    stages = _lifecycle(sim, first_channel, lead_at)
    status = _status(sim, stages, lead_at)
    reasons = _disqualification_reasons(sim, first_channel)
    people = persons.iloc[person_lead.person_idx.to_numpy()]
    lead_channel_key = CHANNEL_COLUMNS.key[person_lead.lead_ch.to_numpy()]
    leads = pd.DataFrame(
        {
            "lead_id": record_ids("00Q", count),
            "person_idx": person_lead.person_idx.to_numpy(),
            "person_id": people.person_id.to_numpy(),
            "account_idx": people.account_idx.to_numpy(),
            "first_ch": first_channel,
            "lead_ch": person_lead.lead_ch.to_numpy(),
            "lead_source": pd.Series(lead_channel_key).map(LEAD_SOURCE).to_numpy(),
            "owner_id": rng.choice(sdrs, count),
            "created_at": lead_at,
            "mql_at": np.where(stages.is_mql, stages.mql_at, NAT),
            "sal_at": np.where(stages.followed_up, stages.sal_at, NAT),
            "sql_at": np.where(stages.is_sql, stages.sql_at, NAT),
            "converted_at": np.where(stages.converted, stages.converted_at, NAT),
            "is_converted": stages.converted,
            "status": status,
            "disqualification_reason": np.where(status == "Unqualified", reasons, None),
            "phone": np.where(
                rng.random(count) < 0.6,
                np.char.add("+1 555 ", rng.integers(1000000, 9999999, count).astype(str)),
                None,
            ),
            "is_duplicate": False,
        }
    )
    return pd.concat([leads, _duplicates(sim, leads)], ignore_index=True)


def _lifecycle(sim: Sim, first_channel: np.ndarray, lead_at: np.ndarray) -> Lifecycle:
    """Stage moments; the first channel sets the MQL and conversion odds."""
    rng, end, count = sim.rng, sim.end, len(lead_at)
    mql_at = lead_at + days(rng.exponential(1.5, count))
    is_mql = (rng.random(count) < CHANNEL_COLUMNS.p_mql[first_channel]) & (mql_at <= end)
    followed_up = is_mql & (rng.random(count) < 0.8)
    sal_at = mql_at + days(rng.exponential(0.9, count) + 0.05)
    followed_up &= sal_at <= end
    sql_at = sal_at + days(rng.exponential(6.0, count) + 1)
    converted = (
        followed_up
        & (rng.random(count) < CHANNEL_COLUMNS.p_convert[first_channel])
        & (sql_at + 2 * DAY <= end)
    )
    converted_at = sql_at + days(rng.exponential(2.0, count) + 0.2)
    converted &= converted_at <= end
    is_sql = converted | (followed_up & (rng.random(count) < 0.25) & (sql_at <= end))
    return Lifecycle(
        mql_at=mql_at,
        is_mql=is_mql,
        sal_at=sal_at,
        followed_up=followed_up,
        sql_at=sql_at,
        is_sql=is_sql,
        converted_at=converted_at,
        converted=converted,
    )


def _status(sim: Sim, stages: Lifecycle, lead_at: np.ndarray) -> np.ndarray:
    """The CRM status a lead ends with: what sales made of it, or still open or nurturing."""
    recent = (sim.end - lead_at) < 30 * DAY
    draw = sim.rng.random(len(lead_at))
    return np.where(
        stages.converted,
        "Qualified",
        np.where(
            stages.is_sql,
            "Working - Contacted",
            np.where(
                stages.followed_up,
                np.where(
                    draw < 0.6,
                    "Unqualified",
                    np.where(draw < 0.85, "Nurturing", "Working - Contacted"),
                ),
                np.where(
                    stages.is_mql | recent,
                    "Open - Not Contacted",
                    np.where(draw < 0.35, "Unqualified", "Nurturing"),
                ),
            ),
        ),
    )


def _disqualification_reasons(sim: Sim, first_channel: np.ndarray) -> np.ndarray:
    """Why sales would disqualify each lead; display and Meta bring more junk."""
    rng, count = sim.rng, len(first_channel)
    junky = np.isin(first_channel, [CH["display"], CH["meta"]])
    return np.where(
        junky,
        rng.choice(
            ["Student / Job Seeker", "Not a Fit", "Spam", "No Budget"],
            count,
            p=[0.35, 0.3, 0.2, 0.15],
        ),
        rng.choice(
            ["No Budget", "Not a Fit", "Competitor", "No Response", "Timing"],
            count,
            p=[0.25, 0.25, 0.15, 0.2, 0.15],
        ),
    )


def _duplicates(sim: Sim, leads: pd.DataFrame) -> pd.DataFrame:
    """The same person fills a form again later and gets a second, untouched lead record."""
    rng, count = sim.rng, len(leads)
    duplicates = leads[(rng.random(count) < 0.04) & ~leads.is_converted.to_numpy()].copy()
    duplicates["created_at"] = duplicates.created_at + days(rng.uniform(20, 200, len(duplicates)))
    duplicates = duplicates[duplicates.created_at <= sim.end]
    for column in ["mql_at", "sal_at", "sql_at", "converted_at"]:
        duplicates[column] = NAT
    duplicates["status"], duplicates["disqualification_reason"] = "Open - Not Contacted", None
    duplicates["is_duplicate"] = True
    duplicates["lead_id"] = record_ids("00Q", len(duplicates), start=count)
    return duplicates
