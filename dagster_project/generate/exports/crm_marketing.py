"""The CRM's campaign objects and the marketing tool's records that land beside them:
campaigns, campaign members, form submissions and email events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CHANNEL_COLUMNS
from dagster_project.generate.exports.web import CLICK_PARAM, SITE, url, utm_source_and_medium
from dagster_project.generate.exports.writer import ExportParts, Writer, blank, dirty_email
from dagster_project.lib.landing.contracts import Contract, get_contract

FORM_PAGES = {
    "Demo Request": "/demo",
    "Contact Us": "/contact",
    "Content Download": "/resources",
    "Webinar Registration": "/webinars/register",
    "Event Registration": "/events",
}


def _contract(name: str) -> Contract:
    return get_contract("crm", name)


def write_campaigns(
    writer: Writer, world: dict[str, pd.DataFrame], end: np.datetime64, parts: ExportParts
) -> None:
    campaigns = world["crm_campaigns"]
    reporting_channel = dict(zip(CHANNEL_COLUMNS.key, CHANNEL_COLUMNS.channel, strict=True))
    frame = pd.DataFrame(
        {
            "Id": campaigns.campaign_id,
            "Name": campaigns.name,
            "Type": campaigns.type,
            "Channel__c": pd.Series(campaigns.key).map(reporting_channel),
            "UTM_Campaign__c": campaigns.utm_campaign,
            "Status": np.where(campaigns.ts < end, "Completed", "Planned"),
            "StartDate": campaigns.ts,
            "EndDate": campaigns.ts + np.timedelta64(1, "D"),
            "ActualCost": campaigns.cost,
            "CurrencyIsoCode": "USD",
            "ParentId": None,
            "CreatedDate": campaigns.ts - np.timedelta64(30, "D"),
            "LastModifiedDate": campaigns.ts - np.timedelta64(2, "D"),
        }
    )
    writer.write(_contract("campaigns"), frame, parts.full)


def write_campaign_members(
    writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts
) -> pd.DataFrame:
    """Event registrations (attended or no-show) and email recipients (sent, opened, clicked).
    Returns the members with the true ``_person``."""
    registrations, sends = world["event_members"], world["email_sends"]
    campaign_date = world["crm_campaigns"].set_index("campaign_id").ts
    contact_of_lead = world["leads"].set_index("lead_id").converted_contact_id
    members = pd.concat(
        [
            pd.DataFrame(
                {
                    "CampaignId": registrations.crm_campaign_id,
                    "LeadId": registrations.lead_id,
                    "ContactId": contact_of_lead.reindex(registrations.lead_id).to_numpy(),
                    "Status": np.where(registrations.attended, "Attended", "No Show"),
                    "HasResponded": registrations.attended,
                    "FirstRespondedDate": np.where(
                        registrations.attended,
                        campaign_date.reindex(registrations.crm_campaign_id).to_numpy(),
                        np.datetime64("NaT"),
                    ),
                    "CreatedDate": registrations.ts,
                    "_person": registrations.person_idx,
                }
            ),
            pd.DataFrame(
                {
                    "CampaignId": sends.campaign_id,
                    "LeadId": sends.lead_id,
                    "ContactId": np.where(
                        sends.recipient_id != sends.lead_id, sends.recipient_id, None
                    ),
                    "Status": np.where(
                        sends.clicked, "Clicked", np.where(sends.opened, "Opened", "Sent")
                    ),
                    "HasResponded": sends.clicked,
                    "FirstRespondedDate": np.where(
                        sends.clicked, sends.click_at, np.datetime64("NaT")
                    ),
                    "CreatedDate": sends.ts,
                    "_person": sends.person_idx,
                }
            ),
        ],
        ignore_index=True,
    )
    members = members[members.CampaignId.notna()].sort_values("CreatedDate", kind="stable")
    members["Id"] = np.char.add(
        "00v", np.char.zfill(np.arange(1, len(members) + 1).astype(str), 15)
    )
    members["LastModifiedDate"] = members[["CreatedDate", "FirstRespondedDate"]].max(axis=1)
    writer.write(_contract("campaign_members"), members, parts.full)
    return members


def write_form_submissions(
    writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts
) -> None:
    """The marketing tool's form submissions, in the order they were made."""
    writer.write(
        _contract("form_submissions"),
        form_submission_frame(writer.rng, world).sort_values("submitted_at"),
        parts.full,
        ts_style="iso",
    )


def form_submission_frame(rng: np.random.Generator, world: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The export rows of ``world["forms"]``: the page URL with its UTM tags and click id.

    The tool does not always sync the lead id back (8 %), and a returning visitor's
    progressive-profiling form asks neither email nor name: only the cookie says who it is
    (3 % of the forms after lead creation)."""
    forms = world["forms"]
    person = world["persons"].iloc[forms.person_idx.to_numpy()]
    platform_of_campaign = world["ad_campaigns"].set_index("utm_campaign").platform
    platform = pd.Series(forms.utm_campaign).map(platform_of_campaign).to_numpy()
    key = forms.key.to_numpy()
    utm_source, utm_medium = utm_source_and_medium(platform, key)
    click_param = pd.Series(platform).map(CLICK_PARAM).to_numpy()
    page_urls = [
        url(
            SITE + FORM_PAGES[form_name],
            [
                ("utm_source", source),
                ("utm_medium", medium),
                ("utm_campaign", campaign),
                (param, click_id if isinstance(param, str) else None),
            ],
        )
        for form_name, source, medium, campaign, param, click_id in zip(
            forms.form_name,
            utm_source,
            utm_medium,
            forms.utm_campaign,
            click_param,
            forms.click_id,
            strict=True,
        )
    ]
    referrer = np.select(
        [key == "organic_search", key == "referral", key == "content"],
        ["https://www.google.com/", "https://partner-network.example/", SITE + "/blog"],
        None,
    )
    visitor = blank(person.visitor_id.to_numpy(), rng, 0.08)
    draw = rng.random(len(forms))
    creates_lead = world["touches"].creates_lead.to_numpy()[forms.touch_idx.to_numpy()]
    cookie_only = (draw >= 0.08) & (draw < 0.11) & ~creates_lead & pd.notna(visitor)
    lead_id = np.where((draw < 0.08) | cookie_only, None, forms.lead_id.to_numpy())
    return pd.DataFrame(
        {
            "submission_id": forms.submission_id,
            "form_name": forms.form_name,
            "page_url": page_urls,
            "referrer_url": referrer,
            "email": np.where(cookie_only, None, dirty_email(person.email.to_numpy(), rng)),
            "first_name": np.where(cookie_only, None, person.first_name.to_numpy()),
            "last_name": np.where(cookie_only, None, person.last_name.to_numpy()),
            "company": world["accounts"].name.to_numpy()[person.account_idx.to_numpy()],
            "visitor_id": visitor,
            "click_id": forms.click_id,
            "lead_id": lead_id,
            "submitted_at": forms.ts,
        }
    )


def write_email_events(
    writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts
) -> pd.DataFrame:
    """The email tool's events per send: sent, delivered or bounce, open, click. Returns the
    events with the true ``_person``."""
    rng, sends = writer.rng, world["email_sends"]
    email = world["persons"].email.to_numpy()[sends.person_idx.to_numpy()]
    event_parts = []
    for event_type, happened, at in [
        ("sent", None, sends.ts),
        ("delivered", ~sends.bounced, sends.ts),
        ("bounce", sends.bounced, sends.ts),
        ("open", sends.opened, sends.open_at),
        ("click", sends.clicked, sends.click_at),
    ]:
        rows = np.ones(len(sends), bool) if happened is None else happened.to_numpy()
        event_parts.append(
            pd.DataFrame(
                {
                    "email_campaign_id": sends.campaign_id.to_numpy()[rows],
                    # 5 % of the email tool's events lost the CRM id (matched by email)
                    "recipient_id": np.where(
                        rng.random(int(rows.sum())) < 0.05,
                        None,
                        sends.recipient_id.to_numpy()[rows],
                    ),
                    "email": email[rows],
                    "event_type": event_type,
                    "utm_campaign": sends.utm_campaign.to_numpy()[rows],
                    "occurred_at": at.to_numpy()[rows],
                    "_person": sends.person_idx.to_numpy()[rows],
                }
            )
        )
    events = pd.concat(event_parts, ignore_index=True).sort_values("occurred_at", kind="stable")
    events["event_id"] = np.char.add(
        "ee_", np.char.zfill(np.arange(1, len(events) + 1).astype(str), 12)
    )
    events["link_url"] = np.where(
        events.event_type == "click",
        SITE
        + "/resources?utm_source=newsletter&utm_medium=email&utm_campaign="
        + events.utm_campaign,
        None,
    )
    events["email"] = np.where(
        rng.random(len(events)) < 0.1, pd.Series(events.email).str.upper(), events.email
    )
    writer.write(_contract("email_events"), events, parts.full, ts_style="iso")
    return events
