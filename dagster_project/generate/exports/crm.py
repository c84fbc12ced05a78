"""The CRM's exports (Salesforce-shaped CSVs): users, accounts, contacts, leads, tasks,
opportunities with their stage history and contact roles; campaigns, their members and the
marketing tool's form submissions and email events come from ``crm_marketing``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.exports.crm_marketing import (
    write_campaign_members,
    write_campaigns,
    write_email_events,
    write_form_submissions,
)
from dagster_project.generate.exports.web import utm_source_and_medium
from dagster_project.generate.exports.writer import ExportParts, Writer, blank, dirty_email
from dagster_project.lib.landing.contracts import Contract, get_contract

LIFECYCLE_COLUMNS = [
    "MQL_Date__c",
    "SAL_Date__c",
    "SQL_Date__c",
    "ConvertedDate",
    "ConvertedContactId",
    "ConvertedAccountId",
    "ConvertedOpportunityId",
]


def _contract(name: str) -> Contract:
    return get_contract("crm", name)


@dataclass(frozen=True)
class CrmExport:
    """What the ground truth needs of the CRM export: the rows with their true ``_person``."""

    campaign_members: pd.DataFrame
    email_events: pd.DataFrame


def write_crm(
    writer: Writer, world: dict[str, pd.DataFrame], end: np.datetime64, parts: ExportParts
) -> CrmExport:
    """Write every CRM object; ``end`` is when the export ran."""
    forms = world["forms"]
    # the form that created each lead
    lead_form = forms[forms.lead_id.notna()].drop_duplicates("lead_id").set_index("lead_id")
    _write_users(writer, world, parts)
    _write_accounts(writer, world, parts)
    _write_contacts(writer, world, parts)
    _write_leads(writer, world, lead_form, parts)
    write_campaigns(writer, world, end, parts)
    members = write_campaign_members(writer, world, parts)
    write_form_submissions(writer, world, parts)
    email_events = write_email_events(writer, world, parts)
    _write_tasks(writer, world, parts)
    _write_opportunities(writer, world, lead_form, parts)
    _write_opportunity_history(writer, world, parts)
    _write_contact_roles(writer, world, parts)
    return CrmExport(campaign_members=members, email_events=email_events)


def _write_users(writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts) -> None:
    users = world["users"]
    frame = pd.DataFrame(
        {
            "Id": users.user_id,
            "Name": users.name,
            "Email": users.email,
            "Title": users.role,
            "UserRole": users.role,
            "IsActive": users.is_active,
            "CreatedDate": users.created_at,
            "LastModifiedDate": users.created_at,
        }
    )
    writer.write(_contract("users"), frame, parts.full)


def _write_accounts(writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts) -> None:
    """Accounts with a won deal are customers; website, industry and country may be missing."""
    rng, accounts = writer.rng, world["accounts"]
    won_accounts = set(world["opportunities"].query("is_won").account_idx)
    frame = pd.DataFrame(
        {
            "Id": accounts.account_id,
            "Name": accounts.name,
            "Website": blank("https://www." + accounts.domain, rng, 0.1),
            "Industry": blank(accounts.industry, rng, 0.12),
            "NumberOfEmployees": accounts.employees,
            "BillingCountry": blank(accounts.country, rng, 0.05),
            "CurrencyIsoCode": accounts.currency,
            "Type": np.where(
                np.isin(np.arange(len(accounts)), list(won_accounts)), "Customer", "Prospect"
            ),
            "OwnerId": accounts.owner_id,
            "CreatedDate": accounts.created_at,
            "LastModifiedDate": accounts.created_at + np.timedelta64(3, "D"),
            "IsDeleted": False,
        }
    )
    writer.write(_contract("accounts"), frame, parts.full)


def _write_contacts(writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts) -> None:
    rng, contacts = writer.rng, world["contacts"]
    person = world["persons"].iloc[contacts.person_idx.to_numpy()]
    frame = pd.DataFrame(
        {
            "Id": contacts.contact_id,
            "AccountId": contacts.account_id,
            "FirstName": person.first_name.to_numpy(),
            "LastName": person.last_name.to_numpy(),
            "Email": dirty_email(person.email.to_numpy(), rng),
            "Title": blank(person.title.to_numpy(), rng, 0.2),
            "LeadSource": contacts.lead_source,
            "OwnerId": contacts.owner_id,
            "CreatedDate": contacts.created_at,
            "LastModifiedDate": contacts.created_at,
            "IsDeleted": False,
        }
    )
    writer.write(_contract("contacts"), frame, parts.full)


def _write_leads(
    writer: Writer,
    world: dict[str, pd.DataFrame],
    lead_form: pd.DataFrame,
    parts: ExportParts,
) -> None:
    """Leads with the UTM tags and click id of the form that created them. A share of worked
    leads is in the full export as they were before sales worked them, and changed in the
    delta."""
    rng, leads = writer.rng, world["leads"]
    frame = lead_frame(rng, world, lead_form)
    worked = (leads.status != "Open - Not Contacted").to_numpy()
    moved = worked & (rng.random(len(leads)) < 0.05)
    before = frame[moved].copy()
    before["Status"], before["Disqualification_Reason__c"], before["IsConverted"] = (
        "Open - Not Contacted",
        None,
        False,
    )
    for column in LIFECYCLE_COLUMNS:
        before[column] = None
    before["LastModifiedDate"] = before.CreatedDate + np.timedelta64(1, "h")  # before any work
    full = pd.concat([frame[~moved], before]).sort_values("CreatedDate")
    writer.write(_contract("leads"), full, parts.full)
    writer.write(_contract("leads"), frame[moved], parts.delta)


def lead_frame(
    rng: np.random.Generator, world: dict[str, pd.DataFrame], lead_form: pd.DataFrame
) -> pd.DataFrame:
    """The export rows of ``world["leads"]`` as they are now, with the UTM tags and click id
    of the form that created each (``lead_form``, by lead id); the nightly deltas share it."""
    leads, accounts = world["leads"], world["accounts"]
    person = world["persons"].iloc[leads.person_idx.to_numpy()]
    platform_of_campaign = world["ad_campaigns"].set_index("utm_campaign").platform
    form = lead_form.reindex(leads.lead_id)
    utm_campaign = form.utm_campaign.to_numpy()
    platform = pd.Series(utm_campaign).map(platform_of_campaign).to_numpy()
    utm_source, utm_medium = utm_source_and_medium(platform, form.key.to_numpy())
    # a lead whose status moved without a lifecycle date was still touched after creation
    last_change = leads[["created_at", "mql_at", "sal_at", "sql_at", "converted_at"]].max(axis=1)
    worked = (leads.status != "Open - Not Contacted").to_numpy()
    last_change = last_change.where(
        ~worked, np.maximum(last_change, leads.created_at + np.timedelta64(2, "h"))
    )
    return pd.DataFrame(
        {
            "Id": leads.lead_id,
            "FirstName": blank(person.first_name.to_numpy(), rng, 0.03),
            "LastName": person.last_name.to_numpy(),
            "Email": dirty_email(person.email.to_numpy(), rng),
            "Company": accounts.name.to_numpy()[leads.account_idx],
            "Title": blank(person.title.to_numpy(), rng, 0.3),
            "Phone": leads.phone,
            "Status": leads.status,
            "Disqualification_Reason__c": leads.disqualification_reason,
            "LeadSource": leads.lead_source,
            "UTM_Source__c": utm_source,
            "UTM_Medium__c": utm_medium,
            "UTM_Campaign__c": utm_campaign,
            "UTM_Content__c": None,
            "UTM_Term__c": None,
            "Click_Id__c": form.click_id.to_numpy(),
            "OwnerId": leads.owner_id,
            "MQL_Date__c": leads.mql_at,
            "SAL_Date__c": leads.sal_at,
            "SQL_Date__c": leads.sql_at,
            "IsConverted": leads.is_converted,
            "ConvertedDate": leads.converted_at,
            "ConvertedContactId": leads.converted_contact_id,
            "ConvertedAccountId": np.where(
                leads.is_converted, accounts.account_id.to_numpy()[leads.account_idx], None
            ),
            "ConvertedOpportunityId": leads.converted_opportunity_id,
            "CreatedDate": leads.created_at,
            "LastModifiedDate": last_change,
            "IsDeleted": False,
        }
    )


def _write_tasks(writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts) -> None:
    activities = world["activities"]
    frame = pd.DataFrame(
        {
            "Id": activities.activity_id,
            "WhoId": activities.who_id,
            "WhatId": activities.what_id,
            "OwnerId": activities.owner_id,
            "Type": activities.type,
            "Subject": activities.subject,
            "Status": "Completed",
            "CallDurationInSeconds": activities.duration,
            "ActivityDate": activities.ts,
            "CompletedDateTime": activities.ts,
            "CreatedDate": activities.ts,
            "LastModifiedDate": activities.ts,
            "IsDeleted": False,
        }
    )
    writer.write(_contract("tasks"), frame, parts.full)


def _write_opportunities(
    writer: Writer,
    world: dict[str, pd.DataFrame],
    lead_form: pd.DataFrame,
    parts: ExportParts,
) -> None:
    """Opportunities with the campaign of the form that created their lead. A share that moved
    on is in the full export still at Prospecting, and changed in the delta."""
    rng, opportunities = writer.rng, world["opportunities"]
    source_lead = world["leads"].iloc[np.maximum(opportunities.source_lead_idx.to_numpy(), 0)]
    campaign_of_utm = world["crm_campaigns"].set_index("utm_campaign").campaign_id
    campaign = (
        pd.Series(lead_form.reindex(source_lead.lead_id).utm_campaign.to_numpy())
        .map(campaign_of_utm)
        .to_numpy()
    )
    outbound = opportunities.sourced_by == "sales"
    account_name = world["accounts"].name.to_numpy()[opportunities.account_idx]
    frame = pd.DataFrame(
        {
            "Id": opportunities.opportunity_id,
            "AccountId": opportunities.account_id,
            "Name": account_name + " - " + opportunities.type,
            "StageName": opportunities.stage,
            "Amount": opportunities.amount,
            "CurrencyIsoCode": opportunities.currency,
            "Probability": opportunities.probability,
            "CloseDate": opportunities.close_at,
            "IsClosed": opportunities.is_closed,
            "IsWon": opportunities.is_won,
            "Loss_Reason__c": opportunities.loss_reason,
            "Type": opportunities.type,
            "LeadSource": np.where(outbound, "Outbound", source_lead.lead_source.to_numpy()),
            "CampaignId": np.where(outbound, None, campaign),
            "OwnerId": opportunities.owner_id,
            "CreatedDate": opportunities.created_at,
            "LastModifiedDate": opportunities.updated_at,
            "IsDeleted": False,
        }
    )
    moved = (opportunities.stage != "Prospecting").to_numpy() & (
        rng.random(len(opportunities)) < 0.08
    )
    before = frame[moved].copy()
    before["StageName"], before["Probability"], before["IsClosed"], before["IsWon"] = (
        "Prospecting",
        10,
        False,
        False,
    )
    before["Loss_Reason__c"] = None
    before["LastModifiedDate"] = before.CreatedDate + np.timedelta64(1, "D")
    writer.write(_contract("opportunities"), pd.concat([frame[~moved], before]), parts.full)
    writer.write(_contract("opportunities"), frame[moved], parts.delta)


def _write_opportunity_history(
    writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts
) -> None:
    history = world["stage_history"]
    frame = pd.DataFrame(
        {
            "Id": history.history_id,
            "OpportunityId": history.opportunity_id,
            "StageName": history.stage,
            "Amount": history.amount,
            "Probability": history.probability,
            "CloseDate": history.close_date,
            "CreatedById": world["opportunities"].owner_id.to_numpy()[history.opp],
            "CreatedDate": history.ts,
        }
    )
    writer.write(_contract("opportunity_history"), frame, parts.full)


def _write_contact_roles(
    writer: Writer, world: dict[str, pd.DataFrame], parts: ExportParts
) -> None:
    roles = world["contact_roles"]
    frame = pd.DataFrame(
        {
            "Id": roles.role_id,
            "OpportunityId": roles.opportunity_id,
            "ContactId": roles.contact_id,
            "Role": roles.role,
            "IsPrimary": roles.is_primary,
            "CreatedDate": roles.created_at,
            "LastModifiedDate": roles.created_at,
        }
    )
    writer.write(_contract("opportunity_contact_roles"), frame, parts.full)
