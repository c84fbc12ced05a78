"""The nights after the base world: each writes the next day's delta exports of every source.

The base world (``generate()``) ends with the exports of its last day. A night is what the
source tools export the following night (``<object>_<YYYYMMDD>T020000Z_delta.<ext>``, one file
per object that changed, in the object's usual shape):

- **new** records of the day: new people's form fills and their leads, nurture touches, ad
  clicks and the day's ad stats, converted leads' contacts and deals, stage-history rows,
  sales tasks, Stripe invoices and charges of renewals, first wins' customers;
- **updated** records with a later updated-at: leads moving through their lifecycle, deals
  moving a stage, accounts becoming customers, contacts' titles; Stripe objects sent again
  whole with a new status (invoices paid or voided, charges settled or refunded,
  subscriptions renewed or canceled);
- **late** records dated before the day: ad clicks the platforms report a few days late (their
  days' stats restated), form submissions the marketing tool syncs a day late;
- **deleted** records: CRM leads (merged duplicates, spam) and tasks sent again with
  ``IsDeleted`` true. Sources without a deletion flag never delete in a delta (see
  ``nights.billing`` and ``nights.ads``).

A night reads the source systems' state back from the landing zone (``nights.state``), draws
from its own random streams (the seed, the night's day and a stream name: never the base
world's), and appends to the ground truth. The same landing zone, truth, seed and number of
nights write byte-identical files.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.generate.channels import CHANNEL_COLUMNS
from dagster_project.generate.config import WorldConfig
from dagster_project.generate.exports.crm import lead_frame
from dagster_project.generate.exports.crm_marketing import form_submission_frame
from dagster_project.generate.exports.writer import Writer
from dagster_project.generate.nights.ads import report_ads
from dagster_project.generate.nights.billing import bill
from dagster_project.generate.nights.deals import work_deals
from dagster_project.generate.nights.leads import delete_tasks, update_contacts, work_leads
from dagster_project.generate.nights.marketing import (
    BaseRates,
    MarketingNight,
    simulate_marketing_night,
)
from dagster_project.generate.nights.night import Delta, Night, record_number
from dagster_project.generate.nights.state import SourceState, last_night_day
from dagster_project.generate.nights.truth import TruthTables, read_summary, write_summary
from dagster_project.generate.world import simulate
from dagster_project.generate.world.common import to_datetime
from dagster_project.lib.landing.contracts import CONTRACTS

__all__ = ["generate_days"]

# how each object's rows are written besides the defaults (see ``exports``)
WRITE_OPTIONS = {
    "form_submissions": {"ts_style": "iso"},
    "meta_ads_insights": {"string_numbers": True},
    "meta_ads_clicks": {"ts_style": "iso", "pk": "fbclid"},
}


def generate_days(
    landing: Path,
    truth: Path,
    days: int = 1,
    *,
    seed: int | None = None,
    malformed_rate: float | None = None,
) -> dict:
    """Write the next ``days`` nights of delta exports after those in ``landing`` and update
    the ground truth in ``truth``. ``seed`` and ``malformed_rate`` default to the base world's
    (``truth/summary.json``). Returns the updated summary."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    landing, truth = Path(landing), Path(truth)
    summary = read_summary(truth)
    config = summary["config"]
    cfg = WorldConfig(
        accounts=config["accounts"],
        seed=config["seed"],
        start=date.fromisoformat(config["start"]),
        end=date.fromisoformat(config["end"]),
    )
    nights = summary.setdefault("nights", [])
    last = last_night_day(landing)
    done = (last - cfg.end).days if last else 0
    if done != len(nights):
        raise RuntimeError(
            f"the landing zone holds {done} nights after {cfg.end}, the ground truth in {truth} "
            f"{len(nights)}: they are out of step (regenerate with `rjw generate`)"
        )
    seed = config["seed"] if seed is None else seed
    malformed_rate = config["malformed_rate"] if malformed_rate is None else malformed_rate
    world = simulate(cfg)
    rates = BaseRates.of(world, to_datetime(cfg.end))
    state = SourceState(landing)
    tables = TruthTables.read(truth)
    ids = _last_ids(tables, state)
    for number in range(done + 1, done + days + 1):
        night = Night.after(cfg.end, number, seed)
        writer = Writer(landing, night.rng("writer"), malformed_rate, malformed_parts=("delta",))
        delta = _simulate_night(night, world, rates, state, tables, ids, writer)
        files = _write(writer, delta, night.part)
        tables.append("malformed", pd.DataFrame(writer.malformed))
        summary["truth_rows"] = tables.write(truth)
        summary["malformed"] = len(tables["malformed"])
        summary["files"] += files
        nights.append(
            {
                "night": number,
                "day": night.day.isoformat(),
                "export_at": night.export_at,
                "seed": seed,
                "changes": delta.changes.as_dict(),
                "malformed": len(writer.malformed),
                "files": files,
            }
        )
        summary["last_export_at"] = night.export_at
        write_summary(truth, summary)
        state.refresh()
    return summary


def _last_ids(tables: TruthTables, state: SourceState) -> dict[str, int]:
    """The highest number used so far by each sequential id."""
    records = tables["records"]
    ids = {
        obj: record_number(records.record_id[records.object == obj])
        for obj in ("leads", "contacts", "tasks")
    }
    ids["persons"] = max((int(person[1:]) for person in tables["persons"].person_id), default=0)
    ids["opportunities"] = record_number(tables["opportunities"].opportunity_id)
    for obj in ("opportunity_history", "opportunity_contact_roles"):
        ids[obj] = state.max_number(obj)
    return ids


def _simulate_night(
    night: Night,
    world: dict[str, pd.DataFrame],
    rates: BaseRates,
    state: SourceState,
    tables: TruthTables,
    ids: dict[str, int],
    writer: Writer,
) -> Delta:
    """Everything that happens in the night's day, as export rows; the truth appended."""
    delta = Delta()
    deleted_leads = set(state.current("leads", "IsDeleted").Id)
    marketing = simulate_marketing_night(night, world, rates, ids, deleted_leads)
    night_world = {
        **world,
        "persons": marketing.persons,
        "leads": marketing.leads,
        "touches": marketing.touches,
        "forms": marketing.forms,
    }
    forms = marketing.forms
    lead_form = forms[forms.lead_id.isin(marketing.leads.lead_id)].drop_duplicates("lead_id")
    delta.add("leads", "new", lead_frame(writer.rng, night_world, lead_form.set_index("lead_id")))
    submissions = form_submission_frame(writer.rng, night_world)
    late_forms = forms.late.to_numpy()
    delta.add("form_submissions", "late", submissions[late_forms])
    delta.add("form_submissions", "new", submissions[~late_forms])
    _append_marketing_truth(tables, marketing)
    work_leads(night, state, tables, world, ids, delta)
    winners = work_deals(night, state, tables, ids, delta)
    delete_tasks(night, state, delta)
    update_contacts(night, state, delta)
    report_ads(night, state, marketing.clicks, world["ad_campaigns"], delta)
    bill(night, state, tables, world, winners, rates.self_serve_per_day, delta)
    return delta


def _write(writer: Writer, delta: Delta, part: str) -> list[dict]:
    """One file per object with rows, in the contracts' order; returns the files written."""
    first = len(writer.files)
    for contract in CONTRACTS.values():
        rows = delta.rows(contract.object)
        if not rows.empty:
            writer.write(contract, rows, part, **WRITE_OPTIONS.get(contract.object, {}))
    return writer.files[first:]


def _append_marketing_truth(tables: TruthTables, marketing: MarketingNight) -> None:
    """The night's new people, their touches, and the true person of its leads, forms and
    clicks."""
    person_id = marketing.persons.person_id.to_numpy()
    new, touches = marketing.new_persons, marketing.touches
    first_touch = touches[touches.creates_lead].set_index("person_idx").reindex(new.index)
    channel = first_touch.ch.to_numpy().astype(int)
    tables.append(
        "persons",
        pd.DataFrame(
            {
                "person_id": new.person_id,
                "account_id": new.account_id,
                "email": new.email,
                "is_free_mail": new.is_free_mail,
                "engaged": True,
                "first_touch_channel": CHANNEL_COLUMNS.channel[channel],
                "first_touch_sub_channel": CHANNEL_COLUMNS.sub_channel[channel],
                "first_touch_at": first_touch.ts.to_numpy(),
            }
        ),
    )
    touch_channel = touches.ch.to_numpy()
    tables.append(
        "touches",
        pd.DataFrame(
            {
                "person_id": person_id[touches.person_idx.to_numpy()],
                "touched_at": touches.ts,
                "channel": CHANNEL_COLUMNS.channel[touch_channel],
                "sub_channel": CHANNEL_COLUMNS.sub_channel[touch_channel],
                "phase": touches.phase,
                "creates_lead": touches.creates_lead,
            }
        ),
    )
    leads, forms, clicks = marketing.leads, marketing.forms, marketing.clicks
    known = clicks.person_idx.to_numpy() >= 0
    tables.append(
        "records",
        pd.concat(
            [
                pd.DataFrame(
                    {"object": "leads", "record_id": leads.lead_id, "person_id": leads.person_id}
                ),
                pd.DataFrame(
                    {
                        "object": "form_submissions",
                        "record_id": forms.submission_id,
                        "person_id": person_id[forms.person_idx.to_numpy()],
                    }
                ),
                pd.DataFrame(
                    {
                        "object": "ad_clicks",
                        "record_id": clicks.click_id,
                        "person_id": np.where(
                            known, person_id[np.maximum(clicks.person_idx.to_numpy(), 0)], None
                        ),
                    }
                ),
            ],
            ignore_index=True,
        ),
    )
