"""Journeys: anonymous touches before a lead, the touch that creates the lead, nurture after."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CH, CHANNEL_COLUMNS, NURTURE_MIX
from dagster_project.generate.world.common import Sim, days, group_cumsum

# how an engaged person becomes a lead: a web form, a trade-show or a webinar registration
WEB_FORM, TRADE_SHOW, WEBINAR = 0, 1, 2


def simulate_touches(sim: Sim, persons: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every engaged person's touches, and the moment and channels of their lead.

    Returns ``touches`` (one row per touch, ``ch`` the channel index, ``phase`` pre or post the
    lead) and ``person_lead`` (one row per person whose lead falls inside the world's span)."""
    pre_lead, person_lead = _pre_lead_touches(sim, persons)
    nurture = _nurture_touches(sim, person_lead)
    touches = pd.concat([pre_lead, nurture], ignore_index=True)
    touches = touches[touches.ts <= sim.end].sort_values(["person_idx", "ts"], kind="stable")
    return touches.reset_index(drop=True), person_lead


def _pre_lead_touches(sim: Sim, persons: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Anonymous touches a few days apart, the last of which creates the lead."""
    rng = sim.rng
    engaged = np.flatnonzero(persons.engaged.to_numpy())
    count = len(engaged)
    first_at = sim.start + days(rng.uniform(0, sim.span_days - 10, count))
    n_anonymous = rng.poisson(1.1, count)
    lead_kind = rng.choice(3, count, p=[0.82, 0.08, 0.10])
    per_person = n_anonymous + 1
    group_start = np.cumsum(per_person) - per_person
    group_end = np.cumsum(per_person) - 1
    owner = np.repeat(engaged, per_person)
    gaps = rng.exponential(4.0, per_person.sum())
    gaps[group_start] = 0.0
    at = np.repeat(first_at, per_person) + days(group_cumsum(gaps, per_person))
    weight = CHANNEL_COLUMNS.pre_lead_weight
    pre_lead_channels = np.flatnonzero(weight > 0)
    channel = rng.choice(
        pre_lead_channels, per_person.sum(), p=weight[pre_lead_channels] / weight.sum()
    )
    creates_lead = np.zeros(per_person.sum(), bool)
    creates_lead[group_end] = True
    touch_kind = lead_kind[
        np.searchsorted(np.cumsum(per_person), np.arange(per_person.sum()), side="right")
    ]
    channel[creates_lead & (touch_kind == TRADE_SHOW)] = CH["event"]
    channel[creates_lead & (touch_kind == WEBINAR)] = CH["webinar"]
    touches = pd.DataFrame(
        {
            "person_idx": owner,
            "ts": at,
            "ch": channel,
            "creates_lead": creates_lead,
            "phase": "pre",
        }
    )
    person_lead = pd.DataFrame(
        {
            "person_idx": engaged,
            "lead_at": at[creates_lead],
            "first_ch": channel[group_start],
            "lead_ch": channel[creates_lead],
            "first_at": first_at,
        }
    )
    person_lead = person_lead[person_lead.lead_at <= sim.end].reset_index(drop=True)
    return touches, person_lead


def _nurture_touches(sim: Sim, person_lead: pd.DataFrame) -> pd.DataFrame:
    """Touches after lead creation, about two weeks apart, from the nurture channel mix."""
    rng = sim.rng
    per_person = rng.poisson(1.6, len(person_lead))
    owner = np.repeat(person_lead.person_idx.to_numpy(), per_person)
    gaps = rng.exponential(14.0, per_person.sum())
    at = np.repeat(person_lead.lead_at.to_numpy(), per_person) + days(
        group_cumsum(gaps, per_person) + 0.5
    )
    nurture_channels = np.array([CH[key] for key in NURTURE_MIX])
    channel = rng.choice(nurture_channels, per_person.sum(), p=np.array(list(NURTURE_MIX.values())))
    touches = pd.DataFrame(
        {
            "person_idx": owner,
            "ts": at,
            "ch": channel,
            "creates_lead": False,
            "phase": "post",
        }
    )
    return touches[touches.ts <= sim.end]
