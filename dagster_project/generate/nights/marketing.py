"""A night's marketing activity in the world's internal shape: new people filling a form (a new
lead each), nurture touches of known people, anonymous ad clicks, and what arrives late.

The frames have the columns of ``generate.world`` (``persons``, ``leads``, ``touches``,
``clicks``, ``forms``), so the base world's export functions render them. Person indexes point
into ``persons``: the base world's people followed by the night's new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CH, CHANNEL_COLUMNS, NURTURE_MIX, PAID_CHANNELS
from dagster_project.generate.config import WorldConfig
from dagster_project.generate.nights.night import Night, at_least_one, next_ids
from dagster_project.generate.vocabulary import (
    FIRST_NAMES,
    FREE_MAIL_DOMAINS,
    JOB_TITLES,
    LAST_NAMES,
)
from dagster_project.generate.world.common import days, hex_ids
from dagster_project.generate.world.leads import LEAD_SOURCE, NAT
from dagster_project.generate.world.marketing import ordered_clicks_with_ids

# share of a night's content and webinar forms the marketing tool syncs a day late
LATE_FORM_SHARE = 0.15
# share of a day's ad clicks the platforms report a few days late
LATE_CLICK_SHARE = 0.05


@dataclass(frozen=True)
class BaseRates:
    """How much happens on a day, measured on the base world's last weeks."""

    leads_per_day: float
    nurture_touches_per_day: float
    clicks_per_campaign_day: np.ndarray  # by row of the world's ad campaigns
    self_serve_per_day: float

    @classmethod
    def of(cls, world: dict[str, pd.DataFrame], end: np.datetime64) -> BaseRates:
        leads, touches, clicks = world["leads"], world["touches"], world["clicks"]
        recent_leads = (~leads.is_duplicate) & (leads.created_at >= end - np.timedelta64(90, "D"))
        recent_touches = (touches.phase == "post") & (touches.ts >= end - np.timedelta64(60, "D"))
        recent_clicks = clicks[clicks.ts >= end - np.timedelta64(60, "D")]
        per_campaign = np.bincount(
            recent_clicks.ad_campaign.to_numpy(), minlength=len(world["ad_campaigns"])
        )
        customers = world["customers"]
        start = customers.created_at.min()
        return cls(
            leads_per_day=recent_leads.sum() / 90,
            nurture_touches_per_day=recent_touches.sum() / 60,
            clicks_per_campaign_day=per_campaign / 60,
            self_serve_per_day=customers.self_serve.sum()
            / max((end - start) / np.timedelta64(1, "D"), 1),
        )


@dataclass(frozen=True)
class MarketingNight:
    persons: pd.DataFrame  # the base world's people and the night's new ones
    new_persons: pd.DataFrame
    leads: pd.DataFrame  # the new leads
    touches: pd.DataFrame
    clicks: pd.DataFrame
    forms: pd.DataFrame


def simulate_marketing_night(
    night: Night,
    world: dict[str, pd.DataFrame],
    rates: BaseRates,
    ids: dict[str, int],
    deleted_leads: set[str],
) -> MarketingNight:
    """The night's people, touches, clicks and forms. ``ids`` holds the last person and lead
    numbers used (advanced here); ``deleted_leads`` are leads sales deleted (no nurture)."""
    rng = night.rng("marketing")
    new_persons = _new_persons(rng, world, ids, max(1, rng.poisson(rates.leads_per_day)))
    persons = pd.concat([world["persons"], new_persons], ignore_index=True)
    lead_touches = _lead_touches(night, rng, new_persons)
    nurture = _nurture_touches(night, rng, world, rates, deleted_leads)
    touches = pd.concat([lead_touches, nurture], ignore_index=True)
    touches = _tool_touches(rng, touches, world["ad_campaigns"])
    leads = _new_leads(rng, new_persons, lead_touches, world, ids)
    clicks = _clicks(night, rng, touches, world["ad_campaigns"], rates)
    forms = _forms(rng, touches, clicks, leads, world)
    return MarketingNight(persons, new_persons, leads, touches, clicks, forms)


def _new_persons(
    rng: np.random.Generator, world: dict[str, pd.DataFrame], ids: dict[str, int], count: int
) -> pd.DataFrame:
    """People new to the company (new hires at its accounts), as ``simulate_persons`` makes
    them; they fill a form tonight."""
    accounts, base_count = world["accounts"], len(world["persons"])
    account_idx = np.sort(rng.integers(0, len(accounts), count))
    first, last = rng.choice(FIRST_NAMES, count), rng.choice(LAST_NAMES, count)
    numbers = ids["persons"] + np.arange(1, count + 1)
    ids["persons"] = int(numbers[-1])
    style = rng.integers(0, 3, count)
    local = [
        f"{given}.{family}" if kind == 0 else f"{given[0]}{family}" if kind == 1 else f"{given}{n}"
        for given, family, kind, n in zip(first, last, style, numbers, strict=True)
    ]
    free = rng.random(count) < WorldConfig.free_mail_share
    free_domain = rng.choice(FREE_MAIL_DOMAINS, count)
    domain = accounts.domain.to_numpy()[account_idx]
    email = [
        f"{given}.{family}{n}@{mail}".lower() if is_free else f"{name}@{work}".lower()
        for given, family, n, mail, is_free, name, work in zip(
            first, last, numbers, free_domain, free, local, domain, strict=True
        )
    ]
    return pd.DataFrame(
        {
            "person_id": [f"P{n:09d}" for n in numbers],
            "account_idx": account_idx,
            "account_id": accounts.account_id.to_numpy()[account_idx],
            "first_name": first,
            "last_name": last,
            "email": email,
            "is_free_mail": free,
            "title": rng.choice(JOB_TITLES, count),
            "visitor_id": hex_ids(rng, "v_", count, 16),
            "engaged": True,
        },
        index=base_count + np.arange(count),
    )


def _lead_touches(
    night: Night, rng: np.random.Generator, new_persons: pd.DataFrame
) -> pd.DataFrame:
    """Each new person's form fill: the first touch the company sees, and the lead's."""
    count = len(new_persons)
    weight = CHANNEL_COLUMNS.pre_lead_weight
    channels = np.flatnonzero(weight > 0)
    return pd.DataFrame(
        {
            "person_idx": new_persons.index.to_numpy(),
            "ts": night.times(rng, count, 6, 22),
            "ch": rng.choice(channels, count, p=weight[channels] / weight.sum()),
            "creates_lead": True,
            "phase": "pre",
        }
    )


def _nurture_touches(
    night: Night,
    rng: np.random.Generator,
    world: dict[str, pd.DataFrame],
    rates: BaseRates,
    deleted_leads: set[str],
) -> pd.DataFrame:
    """Known people touched again (ads, content, webinars): those whose lead is under two
    months old."""
    leads = world["leads"]
    recent = leads[
        (~leads.is_duplicate)
        & (leads.created_at >= night.days_ago(60))
        & ~leads.lead_id.isin(deleted_leads)
    ]
    count = rng.poisson(rates.nurture_touches_per_day) if len(recent) else 0
    channels = np.array([CH[key] for key in NURTURE_MIX])
    channel = rng.choice(channels, count, p=np.array(list(NURTURE_MIX.values())))
    if len(recent) and not np.isin(channel, [CH["content"], CH["webinar"]]).any():
        # a content download at least, so the marketing tool has a form to sync late
        channel, count = np.append(channel, CH["content"]), count + 1
    return pd.DataFrame(
        {
            "person_idx": rng.choice(recent.person_idx.to_numpy(), count),
            "ts": night.times(rng, count, 0, 24),
            "ch": channel,
            "creates_lead": False,
            "phase": "post",
        }
    )


def _tool_touches(
    rng: np.random.Generator, touches: pd.DataFrame, ad_campaigns: pd.DataFrame
) -> pd.DataFrame:
    """As ``world.marketing._tool_touches``: the channel key, the ad campaign of paid touches,
    whether a form is left behind, and whether the marketing tool syncs it a day late."""
    key = CHANNEL_COLUMNS.key[touches.ch.to_numpy()]
    paid = np.isin(key, list(PAID_CHANNELS))
    ad_campaign = np.full(len(touches), -1)
    for channel_key in PAID_CHANNELS:
        of_channel = key == channel_key
        choices = np.flatnonzero(ad_campaigns.key.to_numpy() == channel_key)
        ad_campaign[of_channel] = rng.choice(choices, of_channel.sum())
    nurture = touches.phase.to_numpy() == "post"
    form = (
        touches.creates_lead.to_numpy()
        | (nurture & np.isin(key, ["content", "webinar"]))
        | (paid & nurture & (rng.random(len(touches)) < 0.35))
    )
    late_candidates = form & nurture & ~paid
    late = at_least_one(rng, rng.random(len(touches)) < LATE_FORM_SHARE, late_candidates)
    # a late form was filled yesterday: the touch happened then
    ts = touches.ts.to_numpy() - np.where(late, np.timedelta64(1, "D"), np.timedelta64(0, "D"))
    return touches.assign(
        ts=ts, key=key, paid=paid, ad_campaign=ad_campaign, form=form, late=late
    ).reset_index(drop=True)


def _new_leads(
    rng: np.random.Generator,
    new_persons: pd.DataFrame,
    lead_touches: pd.DataFrame,
    world: dict[str, pd.DataFrame],
    ids: dict[str, int],
) -> pd.DataFrame:
    """A lead per new person, created by their form, untouched by sales yet."""
    count = len(new_persons)
    lead_channel = CHANNEL_COLUMNS.key[lead_touches.ch.to_numpy()]
    sdrs = world["users"].user_id[world["users"].role == "SDR"].to_numpy()
    leads = pd.DataFrame(
        {
            "lead_id": next_ids("00Q", ids, "leads", count),
            "person_idx": new_persons.index.to_numpy(),
            "person_id": new_persons.person_id.to_numpy(),
            "account_idx": new_persons.account_idx.to_numpy(),
            "first_ch": lead_touches.ch.to_numpy(),
            "lead_ch": lead_touches.ch.to_numpy(),
            "lead_source": pd.Series(lead_channel).map(LEAD_SOURCE).to_numpy(),
            "owner_id": rng.choice(sdrs, count),
            "created_at": lead_touches.ts.to_numpy(),
            "mql_at": NAT,
            "sal_at": NAT,
            "sql_at": NAT,
            "converted_at": NAT,
            "is_converted": False,
            "status": "Open - Not Contacted",
            "disqualification_reason": None,
            "phone": np.where(
                rng.random(count) < 0.6,
                np.char.add("+1 555 ", rng.integers(1000000, 9999999, count).astype(str)),
                None,
            ),
            "is_duplicate": False,
            "converted_contact_id": None,
            "converted_opportunity_id": None,
        }
    )
    return leads


def _clicks(
    night: Night,
    rng: np.random.Generator,
    touches: pd.DataFrame,
    ad_campaigns: pd.DataFrame,
    rates: BaseRates,
) -> pd.DataFrame:
    """The known people's ad clicks, anonymous visitors' clicks of the day at each campaign's
    usual rate, and a few clicks of the last three days the platforms report only now."""
    paid = touches.paid.to_numpy()
    per_campaign = rng.poisson(rates.clicks_per_campaign_day)
    anonymous_campaign = np.repeat(np.arange(len(ad_campaigns)), per_campaign)
    count = len(anonymous_campaign)
    anonymous_at = night.start + days(rng.uniform(0, 1, count))
    late = at_least_one(rng, rng.random(count) < LATE_CLICK_SHARE)
    anonymous_at = anonymous_at - days(np.where(late, rng.integers(1, 4, count), 0))
    clicks = pd.concat(
        [
            pd.DataFrame(
                {
                    "ts": touches.ts.to_numpy()[paid],
                    "ad_campaign": touches.ad_campaign.to_numpy()[paid],
                    "person_idx": touches.person_idx.to_numpy()[paid],
                    "touch_idx": np.flatnonzero(paid),
                    "late": False,
                }
            ),
            pd.DataFrame(
                {
                    "ts": anonymous_at,
                    "ad_campaign": anonymous_campaign,
                    "person_idx": -1,
                    "touch_idx": -1,
                    "late": late,
                }
            ),
        ],
        ignore_index=True,
    )
    return ordered_clicks_with_ids(rng, clicks, ad_campaigns)


def _forms(
    rng: np.random.Generator,
    touches: pd.DataFrame,
    clicks: pd.DataFrame,
    leads: pd.DataFrame,
    world: dict[str, pd.DataFrame],
) -> pd.DataFrame:
    """One submission per form touch, as ``world.marketing._form_submissions`` makes them:
    the campaign it answers (content offers; no webinar is planned after the base world) and
    the click behind it."""
    ad_campaigns, crm_campaigns = world["ad_campaigns"], world["crm_campaigns"]
    from_click = clicks.touch_idx >= 0
    click_of_touch = np.full(len(touches), None, dtype=object)
    click_of_touch[clicks.touch_idx[from_click].to_numpy()] = clicks.click_id[from_click].to_numpy()
    touch_idx = np.flatnonzero(touches.form.to_numpy())
    form_touches = touches.iloc[touch_idx]
    key = form_touches.key.to_numpy()
    count = len(touch_idx)
    form_name = np.select(
        [key == "webinar", key == "content"],
        ["Webinar Registration", "Content Download"],
        default=np.where(rng.random(count) < 0.5, "Demo Request", "Contact Us"),
    )
    utm_campaign = np.full(count, None, dtype=object)
    content = crm_campaigns[crm_campaigns.key == "content"]
    of_content = key == "content"
    utm_campaign[of_content] = rng.choice(content.utm_campaign.to_numpy(), of_content.sum())
    ad_campaign = form_touches.ad_campaign.to_numpy()
    paid = ad_campaign >= 0
    utm_campaign[paid] = ad_campaigns.utm_campaign.to_numpy()[ad_campaign[paid]]
    crm_campaign = pd.Series(utm_campaign).map(crm_campaigns.set_index("utm_campaign").campaign_id)
    person_idx = form_touches.person_idx.to_numpy()
    first_lead = world["leads"][~world["leads"].is_duplicate].set_index("person_idx").lead_id
    lead_id = pd.concat([first_lead, leads.set_index("person_idx").lead_id])
    return pd.DataFrame(
        {
            "touch_idx": touch_idx,
            "person_idx": person_idx,
            "ts": form_touches.ts.to_numpy(),
            "key": key,
            "form_name": form_name,
            "utm_campaign": utm_campaign,
            "crm_campaign_id": crm_campaign.to_numpy(),
            "click_id": click_of_touch[touch_idx],
            "lead_id": lead_id.reindex(person_idx).to_numpy(),
            "submission_id": hex_ids(rng, "fs_", count, 20),
            "late": form_touches.late.to_numpy(),
        }
    ).sort_values("ts", kind="stable")
