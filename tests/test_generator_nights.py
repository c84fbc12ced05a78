"""The nightly delta exports after the base world (``generate_days``, ``rjw generate --days``):
deterministic, continuing, loadable, and carrying new, updated, late and deleted records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.generate import generate, generate_days
from dagster_project.lib.landing.contracts import CONTRACTS, get_contract
from dagster_project.lib.landing.loader import load_object

SMALL = {"accounts": 150, "seed": 7}
NIGHT_PARTS = ("20261101T020000Z_delta", "20261102T020000Z_delta", "20261103T020000Z_delta")


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _parquet(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.execute("select * from read_parquet(?)", [str(path)]).df()


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    """A small world and three nights after it, written by two runs (one night, then two)."""
    root = tmp_path_factory.mktemp("nights")
    landing, truth = root / "landing", root / "truth"
    base_summary = generate(landing, truth, **SMALL)
    base_landing = _digest(landing)
    base_truth = {name: len(_parquet(truth / f"{name}.parquet")) for name in TRUTH}
    generate_days(landing, truth, days=1)
    summary = generate_days(landing, truth, days=2)
    with duckdb.connect() as con:
        results = {
            contract.object: load_object(con, contract, landing) for contract in CONTRACTS.values()
        }
        raw = {
            contract.object: con.execute(
                f"select * from {contract.table} order by _source_seq, _source_line"
            ).df()
            for contract in CONTRACTS.values()
        }
    return {
        "root": root,
        "landing": landing,
        "truth": truth,
        "summary": summary,
        "base_summary": base_summary,
        "base_landing": base_landing,
        "base_truth": base_truth,
        "results": results,
        "raw": raw,
    }


TRUTH = ("persons", "records", "opportunities", "customers", "touches", "malformed")


def _night(frame: pd.DataFrame, night: int) -> pd.DataFrame:
    """The rows a night's file delivered."""
    return frame[frame._source_uri.str.contains(NIGHT_PARTS[night - 1], regex=False)]


def _nights(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame._source_uri.str.contains("T020000Z_delta", regex=False)]


def _before_nights(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame._source_uri.str.contains("T020000Z_delta", regex=False)]


def _changed(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The nights' rows of records delivered before (by the base world or an earlier night),
    and the version delivered just before each (same order)."""
    changed, earlier = [], []
    for night in (1, 2, 3):
        before = frame[~frame._source_uri.str.contains("|".join(NIGHT_PARTS[night - 1 :]))]
        latest = before.drop_duplicates(key, keep="last").set_index(key)
        rows = _night(frame, night)
        rows = rows[rows[key].isin(latest.index)]
        changed.append(rows)
        earlier.append(latest.reindex(rows[key]))
    return pd.concat(changed), pd.concat(earlier)


def test_same_seed_and_state_give_the_same_bytes_and_runs_continue(nights, tmp_path):
    """Three nights at once equal one night then two: each run continues after the last."""
    landing, truth = tmp_path / "landing", tmp_path / "truth"
    generate(landing, truth, **SMALL)
    generate_days(landing, truth, days=3)
    assert _digest(landing) == _digest(nights["landing"])
    assert _digest(truth) == _digest(nights["truth"])
    # another seed writes other nights
    generate_days(landing, truth, days=1, seed=8)
    other = tmp_path / "other"
    generate(other / "landing", other / "truth", **SMALL)
    generate_days(other / "landing", other / "truth", days=4)
    assert _digest(landing) != _digest(other / "landing")


def test_nights_write_next_days_deltas_and_leave_the_base_files_alone(nights):
    landing, summary = nights["landing"], nights["summary"]
    current = _digest(landing)
    assert {name: current[name] for name in nights["base_landing"]} == nights["base_landing"]
    added = sorted(set(current) - set(nights["base_landing"]))
    assert added and all(name.endswith((".csv", ".json")) for name in added)
    assert {name.split("_")[-2] + "_delta" for name in added} == set(NIGHT_PARTS)
    assert "crm/leads/leads_20261101T020000Z_delta.csv" in added
    # one file per object per night, in the object's folder and format
    for part in NIGHT_PARTS:
        of_night = [name for name in added if part in name]
        objects = [name.split("/")[1] for name in of_night]
        assert len(objects) == len(set(objects))
        for name in of_night:
            contract = get_contract(*name.split("/")[:2])
            assert name.endswith(contract.extensions[0])
    assert [night["night"] for night in summary["nights"]] == [1, 2, 3]
    assert [night["day"] for night in summary["nights"]] == [
        "2026-10-31",
        "2026-11-01",
        "2026-11-02",
    ]
    assert summary["last_export_at"] == "2026-11-03T02:00:00Z"
    assert {f["file"] for f in summary["files"]} == set(current)
    assert summary["config"] == nights["base_summary"]["config"]


def test_night_files_load_through_the_real_loader(nights):
    """Zero rejects except the rows the generator broke on purpose (listed in the truth)."""
    malformed = _parquet(nights["truth"] / "malformed.parquet")
    night_malformed = malformed[malformed.file.str.contains("T020000Z_delta", regex=False)]
    rows_by_file = {f["file"]: f["rows"] for f in nights["summary"]["files"]}
    for result in nights["results"].values():
        for detail in result.files:
            if "T020000Z_delta" not in detail.source_uri:
                continue
            deliberate = (night_malformed.file == detail.source_uri).sum()
            assert detail.rows_rejected == deliberate, detail.source_uri
            assert detail.rows_loaded + detail.rows_rejected == rows_by_file[detail.source_uri]


def test_new_records_of_the_night(nights):
    raw = nights["raw"]
    leads = _night(raw["leads"], 1)
    base_ids = set(_before_nights(raw["leads"]).Id)
    new = leads[~leads.Id.isin(base_ids)]
    assert len(new) >= 1
    assert (new.Status == "Open - Not Contacted").all()
    assert (new.CreatedDate.dt.strftime("%Y-%m-%d") == "2026-10-31").all()
    # the forms that created them (the tool does not always sync the lead id back), and the
    # day's ad stats and clicks
    forms = _night(raw["form_submissions"], 1)
    assert len(forms) >= len(new)
    assert forms.lead_id.isin(new.Id).any()
    stats = _nights(raw["google_ads_campaign_stats"])
    insights = _nights(raw["meta_ads_insights"])
    assert (pd.concat([stats.segments_date, insights.date_start]) >= "2026-10-28").all()
    assert len(_nights(raw["google_ads_clicks"])) + len(_nights(raw["meta_ads_clicks"])) > 0
    # new Stripe invoices and charges
    invoices = _nights(raw["invoices"])
    assert (~invoices.id.isin(_before_nights(raw["invoices"]).id)).any()
    assert (~_nights(raw["charges"]).id.isin(_before_nights(raw["charges"]).id)).any()


def test_updated_records_have_a_later_updated_at_and_new_values(nights):
    raw = nights["raw"]
    moved, earlier = _changed(raw["opportunities"], "Id")
    assert moved._source_uri.nunique() == 3  # deals move every night
    assert (moved.LastModifiedDate.to_numpy() > earlier.LastModifiedDate.to_numpy()).all()
    assert (moved.StageName.to_numpy() != earlier.StageName.to_numpy()).all()
    # each move has its stage-history row, at the same moment
    history = _nights(raw["opportunity_history"]).set_index("OpportunityId")
    for deal in moved.itertuples():
        rows = history.loc[[deal.Id]]
        entered = (rows.StageName == deal.StageName) & (rows.CreatedDate == deal.LastModifiedDate)
        assert entered.any(), deal.Id
    # leads move through their lifecycle (and some are deleted: see below)
    leads, lead_before = _changed(raw["leads"], "Id")
    assert leads[~leads.IsDeleted]._source_uri.nunique() == 3
    assert (leads.LastModifiedDate.to_numpy() > lead_before.LastModifiedDate.to_numpy()).all()
    lifecycle = ["Status", "MQL_Date__c", "SAL_Date__c", "SQL_Date__c", "IsDeleted"]
    assert (
        (leads[lifecycle].astype(str).to_numpy() != lead_before[lifecycle].astype(str).to_numpy())
        .any(axis=1)
        .all()
    )
    # Stripe objects are sent again whole with a new status
    invoices, invoice_before = _changed(raw["invoices"], "id")
    assert len(invoices) >= 1
    assert (invoice_before.status == "open").all()
    assert invoices.status.isin(["paid", "void"]).all()


def test_late_records_are_dated_before_their_night(nights):
    raw = nights["raw"]
    for night, day in ((1, "2026-10-31"), (2, "2026-11-01"), (3, "2026-11-02")):
        forms = _night(raw["form_submissions"], night)
        assert (forms.submitted_at < pd.Timestamp(day, tz="UTC")).sum() >= 1
    clicks = pd.concat(
        [
            _nights(raw["google_ads_clicks"]).click_time,
            _nights(raw["meta_ads_clicks"]).click_time,
            pd.to_datetime(_nights(raw["linkedin_ads_clicks"]).clickedAt, unit="ms", utc=True),
        ]
    )
    assert (clicks < pd.Timestamp("2026-10-31", tz="UTC")).any()
    # a late click's day is restated: the day's row comes again with more clicks
    restated = 0
    for obj, day, clicks_column in (
        ("google_ads_campaign_stats", "segments_date", "metrics_clicks"),
        ("meta_ads_insights", "date_start", "clicks"),
    ):
        keys = [day, "campaign_id"]
        reported = (
            _before_nights(raw[obj])
            .drop_duplicates(keys, keep="last")
            .set_index(keys)[clicks_column]
            .rename("reported")
        )
        rows = _nights(raw[obj])
        old_days = rows[rows[day] < pd.Timestamp("2026-10-31")]
        joined = old_days.join(reported, on=keys, how="inner")
        assert (joined[clicks_column] > joined.reported).all(), obj
        restated += len(old_days)
    assert restated >= 1


def test_deleted_crm_records_come_again_with_is_deleted(nights):
    raw = nights["raw"]
    for obj in ("leads", "tasks"):
        changed, earlier = _changed(raw[obj], "Id")
        deleted = changed.IsDeleted.to_numpy()
        assert changed[deleted]._source_uri.nunique() == 3, obj  # at least one a night
        assert (~earlier[deleted].IsDeleted).all()
        assert (
            changed[deleted].LastModifiedDate.to_numpy()
            > earlier[deleted].LastModifiedDate.to_numpy()
        ).all()


def test_truth_grows_consistently(nights):
    truth, raw, summary = nights["truth"], nights["raw"], nights["summary"]
    tables = {name: _parquet(truth / f"{name}.parquet") for name in TRUTH}
    assert summary["truth_rows"] == {name: len(table) for name, table in tables.items()}
    assert json.loads((truth / "summary.json").read_text()) == summary
    for name in ("persons", "records", "touches"):
        assert len(tables[name]) > nights["base_truth"][name], name
    # every lead, contact, form and task id is unique and names a known person
    records = tables["records"]
    assert not records.duplicated(["object", "record_id"]).any()
    persons = set(tables["persons"].person_id)
    assert tables["persons"].person_id.is_unique
    named = records[records.object.isin(["leads", "contacts", "form_submissions"])]
    assert set(named.person_id) <= persons
    for obj in ("leads", "contacts", "tasks", "form_submissions"):
        id_column = "submission_id" if obj == "form_submissions" else "Id"
        landed = set(_nights(raw[obj])[id_column])
        assert landed <= set(records.record_id[records.object == obj]), obj
    # new deals and customers are in the truth, and a won deal is marked won
    opportunities = tables["opportunities"].set_index("opportunity_id")
    assert set(_nights(raw["opportunities"]).Id) <= set(opportunities.index)
    won = _nights(raw["opportunities"]).query("IsWon").Id
    assert opportunities.is_won.reindex(won).all()
    assert set(_nights(raw["customers"]).id) <= set(tables["customers"].customer_id)
    night_touches = tables["touches"][tables["touches"].touched_at >= "2026-10-30"]
    assert night_touches.creates_lead.sum() >= 3  # a new lead a night at least


def test_days_needs_a_generated_world_and_truth_in_step(nights, tmp_path):
    with pytest.raises(FileNotFoundError, match="rjw generate"):
        generate_days(tmp_path / "landing", tmp_path / "truth", days=1)
    with pytest.raises(ValueError, match="at least 1"):
        generate_days(nights["landing"], nights["truth"], days=0)
