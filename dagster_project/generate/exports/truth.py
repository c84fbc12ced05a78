"""The ground truth for tests, in a folder the pipeline never reads: who every record really
is, how each person and deal was really sourced, which rows were made malformed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CHANNEL_COLUMNS
from dagster_project.generate.exports.crm import CrmExport
from dagster_project.generate.exports.writer import Writer


def write_truth(
    world: dict[str, pd.DataFrame], crm: CrmExport, writer: Writer, truth: Path
) -> dict:
    """Write the truth tables as Parquet; returns their row counts for the summary."""
    person_id = world["persons"].person_id.to_numpy()
    tables = {
        "persons": _persons(world),
        "records": _records(world, crm, person_id),
        "opportunities": _opportunities(world["opportunities"]),
        "customers": _customers(world["customers"]),
        "touches": _touches(world["touches"], person_id),
        "malformed": pd.DataFrame(
            writer.malformed, columns=["object", "record_id", "kind", "file"]
        ),
    }
    con = writer.con
    rows = {}
    for name, table in tables.items():
        con.register("frame", table)
        con.execute(f"copy (select * from frame) to '{truth / name}.parquet' (format parquet)")
        con.unregister("frame")
        rows[name] = len(table)
    return {"truth_rows": rows, "malformed": len(tables["malformed"])}


def _persons(world: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every person with their first touch (none for people marketing never reached)."""
    persons = world["persons"]
    first_touch = world["touches"].groupby("person_idx").head(1).set_index("person_idx")
    every_person = range(len(persons))
    first_channel = first_touch.ch.reindex(every_person)
    known_channel = first_channel.fillna(0).astype(int)
    table = pd.DataFrame(
        {
            "person_id": persons.person_id,
            "account_id": persons.account_id,
            "email": persons.email,
            "is_free_mail": persons.is_free_mail,
            "engaged": persons.engaged,
            "first_touch_channel": CHANNEL_COLUMNS.channel[known_channel],
            "first_touch_sub_channel": CHANNEL_COLUMNS.sub_channel[known_channel],
            "first_touch_at": first_touch.ts.reindex(every_person).to_numpy(),
        }
    )
    table.loc[
        first_channel.isna().to_numpy(), ["first_touch_channel", "first_touch_sub_channel"]
    ] = None
    return table


def _records(world: dict[str, pd.DataFrame], crm: CrmExport, person_id: np.ndarray) -> pd.DataFrame:
    """The true person of every record that names one (anonymous ad clicks: none)."""
    leads, contacts = world["leads"], world["contacts"]
    forms, clicks, activities = world["forms"], world["clicks"], world["activities"]
    events, members = crm.email_events, crm.campaign_members
    person_of_who = pd.concat(
        [leads.set_index("lead_id").person_id, contacts.set_index("contact_id").person_id]
    )
    return pd.concat(
        [
            pd.DataFrame(
                {"object": "leads", "record_id": leads.lead_id, "person_id": leads.person_id}
            ),
            pd.DataFrame(
                {
                    "object": "contacts",
                    "record_id": contacts.contact_id,
                    "person_id": contacts.person_id,
                }
            ),
            pd.DataFrame(
                {
                    "object": "form_submissions",
                    "record_id": forms.submission_id,
                    "person_id": person_id[forms.person_idx],
                }
            ),
            pd.DataFrame(
                {
                    "object": "email_events",
                    "record_id": events.event_id,
                    "person_id": person_id[events._person.to_numpy()],
                }
            ),
            pd.DataFrame(
                {
                    "object": "campaign_members",
                    "record_id": members.Id,
                    "person_id": person_id[members._person.to_numpy()],
                }
            ),
            pd.DataFrame(
                {
                    "object": "ad_clicks",
                    "record_id": clicks.click_id,
                    "person_id": np.where(
                        clicks.person_idx >= 0, person_id[np.maximum(clicks.person_idx, 0)], None
                    ),
                }
            ),
            pd.DataFrame(
                {
                    "object": "tasks",
                    "record_id": activities.activity_id,
                    "person_id": person_of_who.reindex(activities.who_id).to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )


def _opportunities(opportunities: pd.DataFrame) -> pd.DataFrame:
    """Who sourced each deal, and the channel that first touched its lead."""
    marketing = opportunities.first_ch >= 0
    channel = np.maximum(opportunities.first_ch, 0)
    return pd.DataFrame(
        {
            "opportunity_id": opportunities.opportunity_id,
            "account_id": opportunities.account_id,
            "sourced_by": opportunities.sourced_by,
            "is_won": opportunities.is_won,
            "true_channel": np.where(marketing, CHANNEL_COLUMNS.channel[channel], None),
            "true_sub_channel": np.where(marketing, CHANNEL_COLUMNS.sub_channel[channel], None),
        }
    )


def _customers(customers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": customers.customer_id,
            "crm_account_id": customers.account_id,
            "self_serve": customers.self_serve,
            "has_crm_id_in_metadata": customers.has_crm_id,
        }
    )


def _touches(touches: pd.DataFrame, person_id: np.ndarray) -> pd.DataFrame:
    channel = touches.ch.to_numpy()
    return pd.DataFrame(
        {
            "person_id": person_id[touches.person_idx.to_numpy()],
            "touched_at": touches.ts,
            "channel": CHANNEL_COLUMNS.channel[channel],
            "sub_channel": CHANNEL_COLUMNS.sub_channel[channel],
            "phase": touches.phase,
            "creates_lead": touches.creates_lead,
        }
    )
