"""Marketing records: the touches as the tools keep them. Paid touches are ad clicks (plus
clicks of visitors who never become known), some touches are form submissions, registrations
make campaign members, and email sends reach the known people."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CH, CHANNEL_COLUMNS, PAID_CHANNELS
from dagster_project.generate.world.common import Sim, days, hex_ids

CLICK_ID_PREFIX = {"google": "Cj0KCQ", "meta": "IwAR", "linkedin": "li"}


@dataclass(frozen=True)
class MarketingRecords:
    touches: pd.DataFrame  # the touches with their ad campaign and form flag
    clicks: pd.DataFrame
    forms: pd.DataFrame
    event_members: pd.DataFrame
    email_sends: pd.DataFrame


def simulate_marketing(
    sim: Sim,
    touches: pd.DataFrame,
    persons: pd.DataFrame,
    leads: pd.DataFrame,
    ad_campaigns: pd.DataFrame,
    crm_campaigns: pd.DataFrame,
) -> MarketingRecords:
    first_lead = leads[~leads.is_duplicate].set_index("person_idx")
    touches = _tool_touches(sim, touches, ad_campaigns)
    clicks = _ad_clicks(sim, touches, persons, ad_campaigns)
    forms = _form_submissions(sim, touches, clicks, first_lead, ad_campaigns, crm_campaigns)
    return MarketingRecords(
        touches=touches,
        clicks=clicks,
        forms=forms,
        event_members=_event_members(sim, forms),
        email_sends=_email_sends(sim, first_lead, crm_campaigns),
    )


def _pick_campaigns(
    sim: Sim, channel_keys: np.ndarray, ad_campaigns: pd.DataFrame, picked: np.ndarray
) -> None:
    """Into ``picked``: a random campaign (row of ``ad_campaigns``) of each paid touch's channel."""
    for key in PAID_CHANNELS:
        of_channel = channel_keys == key
        choices = np.flatnonzero(ad_campaigns.key.to_numpy() == key)
        picked[of_channel] = sim.rng.choice(choices, of_channel.sum())


def _tool_touches(sim: Sim, touches: pd.DataFrame, ad_campaigns: pd.DataFrame) -> pd.DataFrame:
    """Adds the channel ``key``, whether it is ``paid``, its ``ad_campaign`` (-1: none) and
    whether it leaves a ``form`` behind."""
    key = CHANNEL_COLUMNS.key[touches.ch.to_numpy()]
    count = len(touches)
    # every paid touch is an ad click on one of the platform's campaigns
    paid = np.isin(key, list(PAID_CHANNELS))
    ad_campaign = np.full(count, -1)
    _pick_campaigns(sim, key, ad_campaigns, ad_campaign)
    # a form is filled on the lead-creating touch, and after lead creation on content and
    # webinar touches and a share of ad clicks (before it, visits leave no form behind)
    nurture = touches.phase.to_numpy() == "post"
    form = (
        touches.creates_lead.to_numpy()
        | (nurture & np.isin(key, ["content", "webinar"]))
        | (paid & nurture & (sim.rng.random(count) < 0.35))
    )
    return touches.assign(key=key, paid=paid, ad_campaign=ad_campaign, form=form)


def _ad_clicks(
    sim: Sim, touches: pd.DataFrame, persons: pd.DataFrame, ad_campaigns: pd.DataFrame
) -> pd.DataFrame:
    """The paid touches, plus anonymous visitors' clicks that never become known people
    (volume, spend), each with a platform click id."""
    rng = sim.rng
    n_anonymous = int(len(persons) * sim.cfg.anonymous_visitors_per_person)
    paid_keys = np.array(PAID_CHANNELS)
    weight = np.array([CHANNEL_COLUMNS.pre_lead_weight[CH[key]] for key in paid_keys])
    anonymous_key = rng.choice(paid_keys, n_anonymous, p=weight / weight.sum())
    anonymous_campaign = np.empty(n_anonymous, int)
    _pick_campaigns(sim, anonymous_key, ad_campaigns, anonymous_campaign)
    anonymous_at = sim.start + days(rng.uniform(0, sim.span_days, n_anonymous))
    paid = touches.paid.to_numpy()
    clicks = pd.concat(
        [
            pd.DataFrame(
                {
                    "ts": touches.ts[paid].to_numpy(),
                    "ad_campaign": touches.ad_campaign.to_numpy()[paid],
                    "person_idx": touches.person_idx[paid].to_numpy(),
                    "touch_idx": np.flatnonzero(paid),
                }
            ),
            pd.DataFrame(
                {
                    "ts": anonymous_at,
                    "ad_campaign": anonymous_campaign,
                    "person_idx": -1,
                    "touch_idx": -1,
                }
            ),
        ],
        ignore_index=True,
    )
    return ordered_clicks_with_ids(rng, clicks, ad_campaigns)


def _form_submissions(
    sim: Sim,
    touches: pd.DataFrame,
    clicks: pd.DataFrame,
    first_lead: pd.DataFrame,
    ad_campaigns: pd.DataFrame,
    crm_campaigns: pd.DataFrame,
) -> pd.DataFrame:
    """One submission per form touch, with the campaign it answers and the click behind it."""
    rng = sim.rng
    from_click = clicks.touch_idx >= 0
    click_of_touch = np.full(len(touches), None, dtype=object)
    click_of_touch[clicks.touch_idx[from_click].to_numpy()] = clicks.click_id[from_click].to_numpy()
    touch_idx = np.flatnonzero(touches.form.to_numpy())
    form_touches = touches.iloc[touch_idx]
    key = CHANNEL_COLUMNS.key[form_touches.ch.to_numpy()]
    at = form_touches.ts.to_numpy()
    form_name = np.select(
        [key == "webinar", key == "event", key == "content"],
        ["Webinar Registration", "Event Registration", "Content Download"],
        default=np.where(rng.random(len(touch_idx)) < 0.5, "Demo Request", "Contact Us"),
    )
    utm_campaign = np.full(len(touch_idx), None, dtype=object)
    crm_campaign = np.full(len(touch_idx), None, dtype=object)
    campaigns_by_key = dict(list(crm_campaigns.groupby("key")))
    for campaign_key in ["content", "webinar", "event"]:
        of_key = key == campaign_key
        if not of_key.any():
            continue
        campaigns = campaigns_by_key[campaign_key]
        if campaign_key == "content":
            pick = rng.integers(0, len(campaigns), of_key.sum())
        else:  # the next webinar / trade show on or after the registration
            pick = np.searchsorted(campaigns["ts"].to_numpy(), at[of_key])
        upcoming = pick < len(campaigns)  # registrations after the last event: none yet in CRM
        rows = np.flatnonzero(of_key)[upcoming]
        utm_campaign[rows] = campaigns.utm_campaign.to_numpy()[pick[upcoming]]
        crm_campaign[rows] = campaigns.campaign_id.to_numpy()[pick[upcoming]]
    ad_campaign = touches.ad_campaign.to_numpy()[touch_idx]
    paid = ad_campaign >= 0
    utm_campaign[paid] = ad_campaigns.utm_campaign.to_numpy()[ad_campaign[paid]]
    # campaign members from paid touches use the CRM mirror of the ad campaign
    mirrors = crm_campaigns.dropna(subset=["ad_campaign_id"])
    mirror_of = mirrors.set_index("utm_campaign").campaign_id
    crm_campaign[paid] = pd.Series(utm_campaign[paid]).map(mirror_of).to_numpy()
    person_idx = form_touches.person_idx.to_numpy()
    return pd.DataFrame(
        {
            "touch_idx": touch_idx,
            "person_idx": person_idx,
            "ts": at,
            "key": key,
            "form_name": form_name,
            "utm_campaign": utm_campaign,
            "crm_campaign_id": crm_campaign,
            "click_id": click_of_touch[touch_idx],
            "lead_id": first_lead.lead_id.reindex(person_idx).to_numpy(),
            "submission_id": hex_ids(rng, "fs_", len(touch_idx), 20),
        }
    )


def _event_members(sim: Sim, forms: pd.DataFrame) -> pd.DataFrame:
    """Webinar and trade-show registrations of a campaign in the CRM; 60 % attend."""
    registrations = forms[np.isin(forms.key.to_numpy(), ["webinar", "event"])]
    registrations = registrations[registrations.crm_campaign_id.notna()]
    attended = sim.rng.random(len(registrations)) < 0.6
    return registrations.assign(attended=attended)


def _email_sends(sim: Sim, first_lead: pd.DataFrame, crm_campaigns: pd.DataFrame) -> pd.DataFrame:
    """Every email send goes to all known people created before it; few open, fewer click."""
    rng = sim.rng
    sends = crm_campaigns[crm_campaigns.key == "email"].sort_values("ts")
    known_at = first_lead.created_at.to_numpy().astype("datetime64[s]")
    order = np.argsort(known_at, kind="stable")
    sorted_at = known_at[order]
    parts = []
    for send in sends.itertuples():
        sent_at = np.datetime64(send.ts, "s")
        recipients = order[: np.searchsorted(sorted_at, sent_at)]
        # a share of recipients are not on this list (segmentation)
        recipients = recipients[rng.random(len(recipients)) < 0.7]
        parts.append(
            pd.DataFrame(
                {
                    "lead_row": recipients,
                    "campaign_id": send.campaign_id,
                    "utm_campaign": send.utm_campaign,
                    "ts": sent_at,
                }
            )
        )
    emails = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["lead_row", "campaign_id", "utm_campaign", "ts"])
    )
    count = len(emails)
    lead_row = emails.lead_row
    emails["person_idx"] = first_lead.index.to_numpy()[lead_row]
    emails["lead_id"] = first_lead.lead_id.to_numpy()[lead_row]
    converted_at = first_lead.converted_at.to_numpy()[lead_row]
    contact = first_lead.converted_contact_id.to_numpy()[lead_row]
    emails["recipient_id"] = np.where(
        pd.notna(converted_at) & (converted_at < emails["ts"].to_numpy()),
        contact,
        emails.lead_id.to_numpy(),
    )
    quality = CHANNEL_COLUMNS.p_mql[first_lead.first_ch.to_numpy()[lead_row]]
    emails["bounced"] = rng.random(count) < 0.02
    emails["opened"] = ~emails.bounced & (rng.random(count) < 0.22 + 0.2 * quality)
    emails["clicked"] = emails.opened & (rng.random(count) < 0.12 + 0.2 * quality)
    emails["open_at"] = emails["ts"] + days(rng.exponential(0.6, count))
    emails["click_at"] = emails.open_at + days(rng.exponential(0.02, count))
    emails = emails[emails.click_at <= sim.end] if count else emails
    return emails.reset_index(drop=True)


def ordered_clicks_with_ids(
    rng: np.random.Generator, clicks: pd.DataFrame, ad_campaigns: pd.DataFrame
) -> pd.DataFrame:
    """Clicks in time order with their platform and the click id the platform gives (gclid,
    fbclid, li_fat_id shapes), drawn platform by platform."""
    clicks = clicks.sort_values("ts", kind="stable").reset_index(drop=True)
    clicks["platform"] = ad_campaigns.platform.to_numpy()[clicks.ad_campaign]
    clicks["click_id"] = ""
    for platform, prefix in CLICK_ID_PREFIX.items():
        on_platform = clicks.platform.to_numpy() == platform
        clicks.loc[on_platform, "click_id"] = hex_ids(rng, prefix, int(on_platform.sum()), 28)
    return clicks
