"""A night of deal work in the CRM: open opportunities move a stage (a stage-history row each,
a meeting with the deal's primary contact), some close won or lost; a won deal makes its
account a customer."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from dagster_project.generate.nights.leads import stage_history_rows, task_rows
from dagster_project.generate.nights.night import Delta, Night, at_least_one
from dagster_project.generate.nights.state import SourceState
from dagster_project.generate.nights.truth import TruthTables
from dagster_project.generate.world.sales import OPEN_STAGES
from dagster_project.lib.landing.contracts import LOSS_REASONS

# mean days a deal stays in each open stage (the base world's open deals are the long ones)
STAGE_DAYS = {"Prospecting": 10, "Qualification": 20, "Proposal": 25, "Negotiation": 30}
NEXT_STAGE = {stage.name: following.name for stage, following in pairwise(OPEN_STAGES)}
PROBABILITY = {stage.name: stage.probability for stage in OPEN_STAGES} | {
    "Closed Won": 100,
    "Closed Lost": 0,
}
# a deal leaving Negotiation is won this often; leaving an earlier stage it is lost this often
P_WIN_FROM_NEGOTIATION, P_LOST_EARLY = 0.45, 0.12


def work_deals(
    night: Night, state: SourceState, truth: TruthTables, ids: dict[str, int], delta: Delta
) -> pd.DataFrame:
    """Move open deals on; returns the deals won tonight (their export rows)."""
    rng = night.rng("deals")
    deals = state.current("opportunities", "not IsDeleted and not IsClosed")
    hazard = 1 / deals.StageName.map(STAGE_DAYS).fillna(20).to_numpy()
    moving = at_least_one(rng, rng.random(len(deals)) < hazard)
    moved = deals[moving].copy()
    moved["LastModifiedDate"] = night.times(rng, len(moved), 9, 19)
    draw = rng.random(len(moved))
    negotiating = (moved.StageName == "Negotiation").to_numpy()
    won = negotiating & (draw < P_WIN_FROM_NEGOTIATION)
    lost = (negotiating & ~won) | (~negotiating & (draw < P_LOST_EARLY))
    stage = np.where(
        won,
        "Closed Won",
        np.where(lost, "Closed Lost", moved.StageName.map(NEXT_STAGE).to_numpy()),
    )
    moved["StageName"] = stage
    moved["Probability"] = pd.Series(stage).map(PROBABILITY).to_numpy().astype("int64")
    moved["IsWon"] = won
    moved.loc[lost, "Loss_Reason__c"] = rng.choice(LOSS_REASONS, lost.sum())
    closed = won | lost
    moved.loc[closed, "IsClosed"] = True
    moved.loc[closed, "CloseDate"] = moved.LastModifiedDate[closed].dt.floor("D")
    delta.add("opportunities", "updated", moved)
    delta.add("opportunity_history", "new", stage_history_rows(moved, ids))
    _meet(rng, state, truth, ids, moved, delta)
    winners = moved[won]
    truth.mark_won(winners.Id)
    _make_customers(night, state, winners, delta)
    return winners


def _meet(
    rng: np.random.Generator,
    state: SourceState,
    truth: TruthTables,
    ids: dict[str, int],
    moved: pd.DataFrame,
    delta: Delta,
) -> None:
    """The account executive's meeting or call with the primary contact of each moved deal."""
    roles = state.current("opportunity_contact_roles", "IsPrimary")
    primary = roles.drop_duplicates("OpportunityId").set_index("OpportunityId").ContactId
    met = moved[moved.Id.isin(primary.index)]
    kind = rng.choice(["Meeting", "Call", "Email"], len(met), p=[0.4, 0.35, 0.25])
    tasks = task_rows(
        rng,
        ids,
        primary.reindex(met.Id).to_numpy(),
        met.Id.to_numpy(),
        met.OwnerId.to_numpy(),
        met.LastModifiedDate.to_numpy() - np.timedelta64(30, "m"),
        kind,
    )
    delta.add("tasks", "new", tasks)
    truth.append(
        "records",
        pd.DataFrame(
            {
                "object": "tasks",
                "record_id": tasks.Id.to_numpy(),
                "person_id": truth.person_of("contacts").reindex(tasks.WhoId).to_numpy(),
            }
        ),
    )


def _make_customers(night: Night, state: SourceState, winners: pd.DataFrame, delta: Delta) -> None:
    """A prospect account with a won deal becomes a customer (Type changes)."""
    accounts = state.current("accounts", "not IsDeleted")
    becoming = accounts[accounts.Id.isin(winners.AccountId) & (accounts.Type != "Customer")]
    becoming = becoming.copy()
    won_at = winners.drop_duplicates("AccountId").set_index("AccountId").LastModifiedDate
    becoming["Type"] = "Customer"
    becoming["LastModifiedDate"] = won_at.reindex(becoming.Id).to_numpy() + np.timedelta64(5, "m")
    delta.add("accounts", "updated", becoming)
