"""The sample-data generator: deterministic, coherent, dirty in the documented ways."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import duckdb
import pytest

from dagster_project.generate import CH, WorldConfig, generate, simulate
from dagster_project.lib.landing.contracts import CONTRACTS


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes_other_seed_other_world(tmp_path, small_world):
    again = generate(tmp_path / "a" / "landing", tmp_path / "a" / "truth", accounts=150, seed=7)
    assert _digest(tmp_path / "a" / "landing") == _digest(small_world["landing"])
    assert again["truth_rows"] == small_world["summary"]["truth_rows"]
    generate(tmp_path / "b" / "landing", tmp_path / "b" / "truth", accounts=150, seed=8)
    assert _digest(tmp_path / "b" / "landing") != _digest(small_world["landing"])


def test_every_object_lands_in_its_contract_folder_with_the_contract_header(small_world):
    landing = small_world["landing"]
    for contract in CONTRACTS.values():
        files = sorted((landing / contract.folder).glob("*"))
        assert files, f"no file for {contract.folder}"
        for f in files:
            if contract.format == "csv":
                with open(f, newline="") as fh:
                    assert next(csv.reader(fh)) == contract.column_names
            else:
                with duckdb.connect() as con:
                    keys = con.execute(
                        "select distinct unnest(json_keys(line)) from read_csv(?, header=false, "
                        "columns={'line': 'VARCHAR'}, delim=chr(1), quote='', escape='') "
                        "where json_valid(line)",
                        [str(f)],
                    ).fetchall()
                assert {k for (k,) in keys} == set(contract.column_names)


def test_scale_knob_grows_the_world():
    small = simulate(WorldConfig(accounts=60, seed=1))
    large = simulate(WorldConfig(accounts=600, seed=1))
    for table in ("persons", "leads", "clicks", "email_sends", "opportunities"):
        assert len(large[table]) > 5 * len(small[table]), table


@pytest.fixture(scope="module")
def world():
    return simulate(WorldConfig(accounts=400, seed=3))


def test_touches_precede_leads_and_leads_precede_deals_and_money(world):
    touches, leads, opps = world["touches"], world["leads"], world["opportunities"]
    first_touch = touches.groupby("person_idx").ts.min()
    original = leads[~leads.is_duplicate]
    assert (
        first_touch.reindex(original.person_idx).to_numpy() <= original.created_at.to_numpy()
    ).all()
    # the touch that creates a lead happens exactly at lead creation
    creating = touches[touches.creates_lead].set_index("person_idx").ts
    assert (
        creating.reindex(original.person_idx).to_numpy() == original.created_at.to_numpy()
    ).all()
    conv = leads[leads.is_converted]
    assert (conv.converted_at >= conv.sql_at).all() and (conv.sql_at >= conv.sal_at).all()
    assert (conv.sal_at >= conv.mql_at).all() and (conv.mql_at >= conv.created_at).all()
    sourced = opps[opps.source_lead_idx >= 0]
    src = conv.sort_values(["account_idx", "converted_at"]).iloc[sourced.source_lead_idx]
    assert (sourced.created_at.to_numpy() == src.converted_at.to_numpy()).all()
    # won deals become customers after the win; invoices start with the subscription
    cust = world["customers"]
    crm_cust = cust[~cust.self_serve]
    won_close = opps[opps.is_won].groupby("account_idx").close_at.min()
    assert (
        crm_cust.created_at.to_numpy() >= won_close.reindex(crm_cust.account_idx).to_numpy()
    ).all()
    assert set(world["invoices"].customer_id) <= set(cust.customer_id)
    # no invoice period starts before its customer existed
    inv = world["invoices"].merge(cust[["customer_id", "created_at"]], on="customer_id")
    assert (inv.period_start >= inv.created_at).all()


def test_channels_differ_in_quality(world):
    leads = world["leads"]
    original = leads[~leads.is_duplicate]
    mql_rate = original.assign(mql=original.mql_at.notna()).groupby("first_ch").mql.mean()
    assert mql_rate[CH["referral"]] > mql_rate[CH["display"]] + 0.2
    # and the deals they source differ too: referral wins more often than display (a larger
    # world: few deals start from display)
    opps = simulate(WorldConfig(accounts=3000, seed=3))["opportunities"]
    closed = opps[opps.is_closed & (opps.sourced_by == "marketing")]
    win = closed.groupby("first_ch").is_won.mean()
    assert win[CH["referral"]] > win[CH["display"]]


def test_spend_is_the_clicks_bought(small_world):
    """Daily stats count exactly the click records of each campaign and day."""
    landing = small_world["landing"]
    with duckdb.connect() as con:
        stats = con.execute(f"""
            select sum(metrics_clicks), sum(metrics_cost_micros) / 1e6
            from read_csv('{landing}/ads/google_ads_campaign_stats/*.csv')""").fetchone()
        # the gclid leads every line, malformed ones included; the overlap day comes twice
        clicks = con.execute(f"""
            select count(distinct split_part(line, ',', 1))
            from read_csv('{landing}/ads/google_ads_clicks/*.csv', header=true,
                          columns={{'line': 'VARCHAR'}}, delim=chr(1), quote='')""").fetchone()
    assert stats[0] == clicks[0]
    assert stats[1] > 0


def test_ground_truth_is_written_outside_the_landing_zone(small_world, tmp_path):
    truth = small_world["truth"]
    for name in ("persons", "records", "opportunities", "customers", "touches", "malformed"):
        assert (truth / f"{name}.parquet").exists()
    assert not any("truth" in str(p) for p in small_world["landing"].rglob("*"))
    with pytest.raises(ValueError, match="must not be inside"):
        generate(tmp_path / "l", tmp_path / "l" / "truth", accounts=10)


def test_dirty_in_the_documented_ways(small_world):
    landing, truth = small_world["landing"], small_world["truth"]
    with duckdb.connect() as con:
        emails = con.execute(f"""
            select count(*) filter (where email <> lower(trim(email))),
                   count(*) filter (where email <> trim(email))
            from read_csv('{landing}/crm/leads/*.csv', store_rejects=true)""").fetchone()
        offsets = con.execute(rf"""
            select count(distinct regexp_extract(column0, '\.000([+-]\d{{4}})', 1))
            from read_csv('{landing}/crm/accounts/*.csv', header=false, skip=1,
                          columns={{'column0': 'VARCHAR'}}, delim=chr(1), quote='')""").fetchone()
        reexported = con.execute(f"""
            select count(*) from read_csv('{landing}/crm/leads/*delta.csv') d
            join read_csv('{landing}/crm/leads/*full.csv', store_rejects=true) f using ("Id")
            where d."LastModifiedDate" > f."LastModifiedDate" """).fetchone()
        malformed = con.execute(
            f"select count(*), count(distinct object) from '{truth}/malformed.parquet'"
        ).fetchone()
        dup_people = con.execute(f"""
            select count(*) from (select person_id from '{truth}/records.parquet'
            where object = 'leads' group by 1 having count(*) > 1)""").fetchone()
    assert emails[0] > 0 and emails[1] > 0
    assert offsets[0] >= 3
    assert reexported[0] > 0
    assert malformed[0] >= 7 and malformed[1] == 7
    assert dup_people[0] > 0
