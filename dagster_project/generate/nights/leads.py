"""A night of lead work in the CRM: leads move through their lifecycle (MQL, SAL, SQL,
disqualified or nurtured), qualified ones convert to a contact and a deal, sales deletes
duplicates and spam, and SDRs log their calls and emails.

Changed records are the CRM's current rows (read back from the landing zone) with the change
applied and a later ``LastModifiedDate``; a deleted record is re-exported with ``IsDeleted``
true, as Salesforce's exports that include deleted records (``queryAll``) write it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CHANNEL_COLUMNS
from dagster_project.generate.nights.night import Delta, Night, at_least_one, next_ids
from dagster_project.generate.nights.state import SourceState
from dagster_project.generate.nights.truth import TruthTables
from dagster_project.generate.vocabulary import JOB_TITLES
from dagster_project.generate.world.activities import SUBJECTS
from dagster_project.generate.world.common import days
from dagster_project.generate.world.sales import list_price
from dagster_project.lib.landing.contracts import DISQUALIFICATION_REASONS

# Each lifecycle step as (the date column of the step before, days that step stays recent,
# daily odds the lead moves on while it is): leads that sat longer are stale, sales moved on.
# About the base world's pace: MQL within days of creation, SAL a day later, SQL a week later,
# conversion two days after that.
STEPS = {
    "mql": ("CreatedDate", 5, 0.1),
    "sal": ("MQL_Date__c", 14, 0.4),
    "worked": ("SAL_Date__c", 30, 0.15),
    "convert": ("SQL_Date__c", 21, 0.2),
}
# daily odds that an SDR follows up a lead being worked, that sales deletes a duplicate or spam
# lead (a task logged by mistake)
P_FOLLOW_UP, P_DELETE = 0.15, 0.003
# the channel index of each (reporting channel, sub-channel) of the truth tables
CHANNEL_OF = {
    (channel, sub_channel): index
    for index, (channel, sub_channel) in enumerate(
        zip(CHANNEL_COLUMNS.channel, CHANNEL_COLUMNS.sub_channel, strict=True)
    )
}


def work_leads(
    night: Night,
    state: SourceState,
    truth: TruthTables,
    world: dict[str, pd.DataFrame],
    ids: dict[str, int],
    delta: Delta,
) -> None:
    """Move, convert and delete leads; log the SDRs' tasks."""
    rng = night.rng("leads")
    leads = state.current("leads")
    live = ~leads.IsDeleted & ~leads.IsConverted
    status = leads.Status.to_numpy()
    open_lead = live & (status == "Open - Not Contacted")
    working = live & (status == "Working - Contacted")
    pools = {
        "mql": open_lead & leads.MQL_Date__c.isna(),
        "sal": open_lead & leads.MQL_Date__c.notna() & leads.SAL_Date__c.isna(),
        "worked": working & leads.SAL_Date__c.notna() & leads.SQL_Date__c.isna(),
        "convert": working & leads.SQL_Date__c.notna(),
    }
    chosen = {}
    for name, (since, recent_days, odds) in STEPS.items():
        recent = leads[since] >= night.days_ago(recent_days)
        pools[name] = (pools[name] & recent).to_numpy()
        chosen[name] = pools[name] & (rng.random(len(leads)) < odds)
    if not any(mask.any() for mask in chosen.values()):
        # a quiet night: marketing still qualifies one open lead, however old
        unqualified = (open_lead & leads.MQL_Date__c.isna()).to_numpy()
        chosen["mql"] = at_least_one(rng, chosen["mql"], pools["mql"] | unqualified)
    changed = np.zeros(len(leads), bool)
    for mask in chosen.values():
        changed |= mask
    at = pd.Series(night.times(rng, len(leads)), index=leads.index)
    updated = leads[changed].copy()
    updated["LastModifiedDate"] = at[changed]
    _apply_lifecycle(rng, updated, {name: mask[changed] for name, mask in chosen.items()})
    converting = chosen["convert"][changed]
    converted = _convert(rng, updated[converting], state, truth, world, ids, delta)
    for column in converted.columns:
        updated.loc[converting, column] = converted[column].to_numpy()
    delta.add("leads", "updated", updated)
    deleted = _delete(rng, leads, live.to_numpy() & ~changed, truth, at)
    delta.add("leads", "deleted", deleted)
    followed = working & (leads.SAL_Date__c >= night.days_ago(STEPS["worked"][1]))
    _log_tasks(rng, night, leads, updated, chosen, changed, followed.to_numpy(), ids, truth, delta)


def _apply_lifecycle(
    rng: np.random.Generator, updated: pd.DataFrame, chosen: dict[str, np.ndarray]
) -> None:
    """Set the fields each move changes, at the row's ``LastModifiedDate``."""
    at = updated.LastModifiedDate
    updated.loc[chosen["mql"], "MQL_Date__c"] = at[chosen["mql"]]
    updated.loc[chosen["sal"], "SAL_Date__c"] = at[chosen["sal"]]
    updated.loc[chosen["sal"], "Status"] = "Working - Contacted"
    outcome = rng.random(len(updated))
    to_sql = chosen["worked"] & (outcome < 0.55)
    disqualified = chosen["worked"] & (outcome >= 0.55) & (outcome < 0.85)
    nurtured = chosen["worked"] & (outcome >= 0.85)
    updated.loc[to_sql, "SQL_Date__c"] = at[to_sql]
    updated.loc[disqualified, "Status"] = "Unqualified"
    updated.loc[disqualified, "Disqualification_Reason__c"] = rng.choice(
        DISQUALIFICATION_REASONS, disqualified.sum()
    )
    updated.loc[nurtured, "Status"] = "Nurturing"
    converted = chosen["convert"]
    updated.loc[converted, "Status"] = "Qualified"
    updated.loc[converted, "IsConverted"] = True
    updated.loc[converted, "ConvertedDate"] = at[converted].dt.floor("D")


def _convert(
    rng: np.random.Generator,
    converting: pd.DataFrame,
    state: SourceState,
    truth: TruthTables,
    world: dict[str, pd.DataFrame],
    ids: dict[str, int],
    delta: Delta,
) -> pd.DataFrame:
    """A contact per converting lead, and a deal at its account unless one is open there (the
    contact joins it). Returns the leads' converted contact, account and opportunity ids (the
    opportunity only for the lead that opened it)."""
    person = truth.person_of("leads").reindex(converting.Id).to_numpy()
    account_id = truth["persons"].set_index("person_id").account_id.reindex(person).to_numpy()
    owner = world["accounts"].set_index("account_id").owner_id.reindex(account_id).to_numpy()
    count = len(converting)
    contact_id = next_ids("003", ids, "contacts", count)
    at = converting.LastModifiedDate.to_numpy()
    contacts = pd.DataFrame(
        {
            "Id": contact_id,
            "AccountId": account_id,
            "FirstName": converting.FirstName.to_numpy(),
            "LastName": converting.LastName.to_numpy(),
            "Email": converting.Email.to_numpy(),
            "Title": converting.Title.to_numpy(),
            "LeadSource": converting.LeadSource.to_numpy(),
            "OwnerId": owner,
            "CreatedDate": at,
            "LastModifiedDate": at,
            "IsDeleted": False,
        }
    )
    delta.add("contacts", "new", contacts)
    truth.append(
        "records",
        pd.DataFrame({"object": "contacts", "record_id": contact_id, "person_id": person}),
    )
    # the latest open deal of each account
    opportunities = state.current("opportunities", "not IsDeleted and not IsClosed")
    deal_of_account = dict(zip(opportunities.AccountId, opportunities.Id, strict=True))
    accounts = pd.Series(account_id)
    # an account's first converting lead opens a deal unless one is open there
    opens = (~accounts.isin(list(deal_of_account)) & ~accounts.duplicated()).to_numpy()
    new_deals = _open_deals(
        rng, converting[opens], person[opens], account_id[opens], world, truth, ids, delta
    )
    deal_of_account.update(zip(account_id[opens], new_deals.Id, strict=True))
    deal_ids = np.array([deal_of_account[account] for account in account_id], dtype=object)
    _add_roles(rng, ids, contacts, deal_ids, opens, delta)
    return pd.DataFrame(
        {
            "ConvertedContactId": contact_id,
            "ConvertedAccountId": account_id,
            "ConvertedOpportunityId": np.where(opens, deal_ids, None),
        }
    )


def _open_deals(
    rng: np.random.Generator,
    converting: pd.DataFrame,
    person: np.ndarray,
    account_id: np.ndarray,
    world: dict[str, pd.DataFrame],
    truth: TruthTables,
    ids: dict[str, int],
    delta: Delta,
) -> pd.DataFrame:
    """New deals at Prospecting, sized and timed by the channel that first touched the lead."""
    count = len(converting)
    accounts = world["accounts"].set_index("account_id")
    persons = truth["persons"].set_index("person_id").reindex(person)
    channel = np.array(
        [
            CHANNEL_OF.get((first, sub), 0)
            for first, sub in zip(
                persons.first_touch_channel, persons.first_touch_sub_channel, strict=True
            )
        ],
        dtype=int,
    )
    expansion = pd.Series(account_id).isin(truth["opportunities"].account_id).to_numpy()
    employees = accounts.employees.reindex(account_id).to_numpy()
    amount = np.array([list_price(size) for size in employees], dtype=float)
    amount *= CHANNEL_COLUMNS.deal_multiplier[channel] * rng.lognormal(0, 0.35, count)
    amount *= np.where(expansion, 0.5, 1.0)
    cycle = np.maximum(7.0, rng.gamma(4.0, CHANNEL_COLUMNS.cycle_days[channel] / 4.0))
    at = converting.LastModifiedDate.to_numpy()
    deal_type = np.where(expansion, "Expansion", "New Business")
    campaign_of_utm = world["crm_campaigns"].set_index("utm_campaign").campaign_id
    opportunity_id = next_ids("006", ids, "opportunities", count)
    deals = pd.DataFrame(
        {
            "Id": opportunity_id,
            "AccountId": account_id,
            "Name": accounts.name.reindex(account_id).to_numpy() + " - " + deal_type,
            "StageName": "Prospecting",
            "Amount": np.round(amount / 100) * 100,
            "CurrencyIsoCode": accounts.currency.reindex(account_id).to_numpy(),
            "Probability": 10,
            "CloseDate": (at + days(cycle)).astype("datetime64[D]"),
            "IsClosed": False,
            "IsWon": False,
            "Loss_Reason__c": None,
            "Type": deal_type,
            "LeadSource": converting.LeadSource.to_numpy(),
            "CampaignId": pd.Series(converting.UTM_Campaign__c.to_numpy())
            .map(campaign_of_utm)
            .to_numpy(),
            "OwnerId": accounts.owner_id.reindex(account_id).to_numpy(),
            "CreatedDate": at,
            "LastModifiedDate": at,
            "IsDeleted": False,
        }
    )
    delta.add("opportunities", "new", deals)
    delta.add("opportunity_history", "new", stage_history_rows(deals, ids))
    truth.append(
        "opportunities",
        pd.DataFrame(
            {
                "opportunity_id": opportunity_id,
                "account_id": account_id,
                "sourced_by": "marketing",
                "is_won": False,
                "true_channel": persons.first_touch_channel.to_numpy(),
                "true_sub_channel": persons.first_touch_sub_channel.to_numpy(),
            }
        ),
    )
    return deals


def stage_history_rows(opportunities: pd.DataFrame, ids: dict[str, int]) -> pd.DataFrame:
    """An OpportunityHistory row per opportunity row: the stage it entered at its
    ``LastModifiedDate``."""
    count = len(opportunities)
    return pd.DataFrame(
        {
            "Id": next_ids("008", ids, "opportunity_history", count),
            "OpportunityId": opportunities.Id.to_numpy(),
            "StageName": opportunities.StageName.to_numpy(),
            "Amount": opportunities.Amount.to_numpy(),
            "Probability": opportunities.Probability.to_numpy(),
            "CloseDate": opportunities.CloseDate.to_numpy(),
            "CreatedById": opportunities.OwnerId.to_numpy(),
            "CreatedDate": opportunities.LastModifiedDate.to_numpy(),
        }
    )


def _add_roles(
    rng: np.random.Generator,
    ids: dict[str, int],
    contacts: pd.DataFrame,
    deal_ids: np.ndarray,
    primary: np.ndarray,
    delta: Delta,
) -> None:
    """Each new contact on its deal: the decision maker of a deal it opened, else a role."""
    count = len(contacts)
    roles = pd.DataFrame(
        {
            "Id": next_ids("00K", ids, "opportunity_contact_roles", count),
            "OpportunityId": deal_ids,
            "ContactId": contacts.Id.to_numpy(),
            "Role": np.where(
                primary,
                "Decision Maker",
                rng.choice(["Champion", "Evaluator", "Technical Buyer", "Economic Buyer"], count),
            ),
            "IsPrimary": primary,
            "CreatedDate": contacts.CreatedDate.to_numpy(),
            "LastModifiedDate": contacts.CreatedDate.to_numpy(),
        }
    )
    delta.add("opportunity_contact_roles", "new", roles)


def _delete(
    rng: np.random.Generator,
    leads: pd.DataFrame,
    deletable: np.ndarray,
    truth: TruthTables,
    at: pd.Series,
) -> pd.DataFrame:
    """Sales merges duplicate leads (the later lead of a person is deleted) and deletes spam."""
    person = truth.person_of("leads").reindex(leads.Id)
    # leads are in id order: a person's later lead is the duplicate
    duplicate = (person.duplicated() & person.notna()).to_numpy()
    spam = (leads.Disqualification_Reason__c == "Spam").to_numpy()
    candidates = deletable & (duplicate | spam)
    chosen = at_least_one(rng, rng.random(len(leads)) < P_DELETE, candidates)
    deleted = leads[chosen].copy()
    deleted["IsDeleted"] = True
    deleted["LastModifiedDate"] = at[chosen]
    return deleted


def _log_tasks(
    rng: np.random.Generator,
    night: Night,
    leads: pd.DataFrame,
    updated: pd.DataFrame,
    chosen: dict[str, np.ndarray],
    changed: np.ndarray,
    working: np.ndarray,
    ids: dict[str, int],
    truth: TruthTables,
    delta: Delta,
) -> None:
    """An SDR call or email with each lead accepted or worked tonight, and follow-ups with a
    share of the other leads being worked."""
    reached = updated[(chosen["sal"] | chosen["worked"])[changed]]
    follow_up = leads[working & ~changed & (rng.random(len(leads)) < P_FOLLOW_UP)]
    touched = pd.concat([reached, follow_up])
    at = np.concatenate(
        [reached.LastModifiedDate.to_numpy(), night.times(rng, len(follow_up), 9, 18)]
    )
    kind = rng.choice(["Call", "Email"], len(touched), p=[0.6, 0.4])
    tasks = task_rows(rng, ids, touched.Id.to_numpy(), None, touched.OwnerId.to_numpy(), at, kind)
    delta.add("tasks", "new", tasks)
    truth.append(
        "records",
        pd.DataFrame(
            {
                "object": "tasks",
                "record_id": tasks.Id.to_numpy(),
                "person_id": truth.person_of("leads").reindex(tasks.WhoId).to_numpy(),
            }
        ),
    )


def task_rows(
    rng: np.random.Generator,
    ids: dict[str, int],
    who: np.ndarray,
    what,
    owner: np.ndarray,
    at: np.ndarray,
    kind: np.ndarray,
) -> pd.DataFrame:
    """Completed tasks (the CRM's Task export rows)."""
    count = len(who)
    return pd.DataFrame(
        {
            "Id": next_ids("00T", ids, "tasks", count),
            "WhoId": who,
            "WhatId": what,
            "OwnerId": owner,
            "Type": kind,
            "Subject": pd.Series(kind).map(SUBJECTS).to_numpy(),
            "Status": "Completed",
            "CallDurationInSeconds": np.where(kind == "Call", rng.integers(30, 1800, count), None),
            "ActivityDate": at,
            "CompletedDateTime": at,
            "CreatedDate": at,
            "LastModifiedDate": at,
            "IsDeleted": False,
        }
    )


def delete_tasks(night: Night, state: SourceState, delta: Delta) -> None:
    """Tasks of the last month logged by mistake are deleted (at least one a night)."""
    rng = night.rng("tasks")
    tasks = state.current("tasks", "not IsDeleted")
    recent = (tasks.CreatedDate >= night.days_ago(30)).to_numpy()
    chosen = at_least_one(rng, rng.random(len(tasks)) < P_DELETE, recent)
    deleted = tasks[chosen].copy()
    deleted["IsDeleted"] = True
    deleted["LastModifiedDate"] = night.times(rng, len(deleted))
    delta.add("tasks", "deleted", deleted)


def update_contacts(night: Night, state: SourceState, delta: Delta) -> None:
    """People change jobs inside their company: a new title on a few contacts."""
    rng = night.rng("contacts")
    contacts = state.current("contacts", "not IsDeleted")
    chosen = rng.random(len(contacts)) < 0.005
    updated = contacts[chosen].copy()
    updated["Title"] = rng.choice(JOB_TITLES, len(updated))
    updated["LastModifiedDate"] = night.times(rng, len(updated))
    delta.add("contacts", "updated", updated)
