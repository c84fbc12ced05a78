"""Broken landing data stops at the right gate, names what is wrong, and leaves the marts alone.

Every case copies the session's good build (warehouse + landing zone), drops one broken file
into the landing copy and runs the real graph from the broken raw asset downwards: its extract,
the quality checks, the load audit, ``dbt build`` and everything after it. The gate must fail
with a message naming the table, the column and example values; nothing downstream may run;
the marts must be byte-for-byte what the good build left.

| broken input                      | gate that stops it                                  |
| --------------------------------- | --------------------------------------------------- |
| null key                          | check keys_unique_and_not_null (GX not-null, ERROR) |
| negative amount                   | check ranges_and_formats (GX between, ERROR)        |
| unknown stage                     | check accepted_values (GX in-set, ERROR)            |
| duplicated ids in one file        | check keys_unique_and_not_null (DuckDB, ERROR)      |
| truncated file (cut mid-record)   | check load_completeness (loader rejects + last line)|
| required column renamed           | the loader: the extract asset fails (contract)      |
| optional column renamed           | check columns_and_types (vanished column, ERROR)    |
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.resources import warehouse_resource
from dagster_project.lib.landing.contracts import get_contract
from tests.conftest import pipeline_assets, resources_for

MARTS = ("opportunities", "customer_revenue", "attribution_credits", "touchpoints")
NEW = "20261101T020000Z"  # a later export than the sample world's


@pytest.fixture
def case(loaded, tmp_path, monkeypatch):
    """A private copy of the good build and its landing zone, and a runner for the graph."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(loaded["world"]["landing"], landing)
    reports = tmp_path / "reports"

    class Case:
        def __init__(self):
            self.warehouse, self.landing, self.reports = warehouse, landing, reports
            self.marts_before = mart_fingerprints(warehouse)

        def run(self, key: list[str], assets: list | None = None, downstream: bool = True):
            selection = dg.AssetSelection.assets(dg.AssetKey(key))
            return dg.materialize(
                assets or pipeline_assets(),
                selection=selection.downstream() if downstream else selection,
                resources=resources_for(warehouse, landing, reports=reports),
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
            )

    return Case()


def mart_fingerprints(warehouse: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent hash of every row of a few marts."""
    # (through the run's own resource: a failed step's traceback can keep its connection alive
    # in this process, and DuckDB refuses a second configuration for the same file)
    with warehouse_resource(warehouse).get_connection() as con:
        return {
            m: con.execute(
                f"select count(*), md5(coalesce(string_agg(md5(t::varchar), '' order by "
                f"md5(t::varchar)), '')) from marts.{m} as t"
            ).fetchone()
            for m in MARTS
        }


def rows_of(landing: Path, folder: str, n: int) -> tuple[list[str], list[dict[str, str]]]:
    """Header and the first ``n`` records of the sample world's full export of an object."""
    path = next((landing / folder).glob("*_full.csv"))
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), [next(reader) for _ in range(n)]


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def evaluation(result, key: list[str], check: str) -> dg.AssetCheckEvaluation:
    found = [
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key == dg.AssetKey(key) and e.check_name == check
    ]
    assert found, f"check {check} of {key} did not run"
    return found[0]


def assert_blocked(case, result, key: list[str]) -> None:
    """The run failed, nothing downstream of the raw asset ran, the marts are unchanged."""
    assert not result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized <= {"/".join(key)}, f"downstream assets ran: {materialized}"
    ran = {e.step_key for e in result.all_events if e.is_step_success}
    assert not any(s.startswith(("dbt_models", "raw__meta", "serving")) for s in ran), ran
    assert mart_fingerprints(case.warehouse) == case.marts_before


def assert_gate(result, key, check, *needles: str) -> str:
    ev = evaluation(result, key, check)
    assert not ev.passed
    assert ev.severity == dg.AssetCheckSeverity.ERROR
    text = ev.description or ""
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"
    meta = {k: v.value for k, v in ev.metadata.items()}
    assert meta["failing_rows"] >= 1
    assert meta["report"].startswith("file://") and meta["report"].endswith(
        "#" + get_contract(key[1], key[2]).table
    )
    return text


def test_null_key_stops_at_keys_check(case):
    header, rows = rows_of(case.landing, "crm/leads", 3)
    rows[1]["Id"] = ""
    write_csv(case.landing / f"crm/leads/leads_{NEW}_delta.csv", header, rows)
    result = case.run(["raw", "crm", "leads"])
    assert_gate(
        result,
        ["raw", "crm", "leads"],
        "keys_unique_and_not_null",
        "raw_crm.leads.Id",
        f"NULL at crm/leads/leads_{NEW}_delta.csv:3",
    )
    assert_blocked(case, result, ["raw", "crm", "leads"])


def test_negative_amount_stops_at_ranges_check(case):
    header, rows = rows_of(case.landing, "crm/opportunities", 3)
    rows[2]["Amount"] = "-5000.00"
    write_csv(case.landing / f"crm/opportunities/opportunities_{NEW}_delta.csv", header, rows)
    key = ["raw", "crm", "opportunities"]
    result = case.run(key)
    assert_gate(
        result,
        key,
        "ranges_and_formats",
        "raw_crm.opportunities.Amount",
        f"-5000.0 at crm/opportunities/opportunities_{NEW}_delta.csv:4",
    )
    assert_blocked(case, result, key)


def test_unknown_stage_stops_at_accepted_values_check(case):
    header, rows = rows_of(case.landing, "crm/opportunities", 2)
    rows[0]["StageName"] = "Closed Won (legacy)"
    write_csv(case.landing / f"crm/opportunities/opportunities_{NEW}_delta.csv", header, rows)
    key = ["raw", "crm", "opportunities"]
    result = case.run(key)
    assert_gate(
        result,
        key,
        "accepted_values",
        "raw_crm.opportunities.StageName",
        f"Closed Won (legacy) at crm/opportunities/opportunities_{NEW}_delta.csv:2",
    )
    assert_blocked(case, result, key)


def test_duplicated_ids_stop_at_keys_check(case):
    header, rows = rows_of(case.landing, "crm/leads", 2)
    write_csv(case.landing / f"crm/leads/leads_{NEW}_delta.csv", header, [*rows, rows[0]])
    key = ["raw", "crm", "leads"]
    result = case.run(key)
    assert_gate(
        result,
        key,
        "keys_unique_and_not_null",
        "raw_crm.leads.Id, LastModifiedDate",
        f"{rows[0]['Id']}, ",
        f"×2 at crm/leads/leads_{NEW}_delta.csv:2,4",
    )
    assert_blocked(case, result, key)


def test_truncated_file_stops_at_load_completeness_check(case):
    full = next((case.landing / "crm/leads").glob("*_full.csv")).read_bytes()
    cut = full[: len(full) * 2 // 5]
    assert not cut.endswith(b"\n")
    cut_line = cut.count(b"\n") + 1
    (case.landing / f"crm/leads/leads_{NEW}_full.csv").write_bytes(cut)
    key = ["raw", "crm", "leads"]
    result = case.run(key)
    text = assert_gate(
        result,
        key,
        "load_completeness",
        "raw_crm.leads",
        f"crm/leads/leads_{NEW}_full.csv ends in an incomplete record at line {cut_line}",
        "cut inside column ",
        "truncated",
    )
    header = full.split(b"\n", 1)[0].decode().split(",")
    assert any(f"cut inside column {c} " in text for c in header)
    assert_blocked(case, result, key)


def test_renamed_required_column_fails_the_extract(case, monkeypatch):
    from dagster_project.defs.automation import extract_retry_policy
    from dagster_project.defs.sources.extract import build_extract_asset
    from dagster_project.lib.settings import MAX_RETRIES_ENV, Settings

    header, rows = rows_of(case.landing, "crm/opportunities", 2)
    renamed = ["Stage" if h == "StageName" else h for h in header]
    rows = [{("Stage" if k == "StageName" else k): v for k, v in r.items()} for r in rows]
    path = write_csv(
        case.landing / f"crm/opportunities/opportunities_{NEW}_delta.csv", renamed, rows
    )
    # the same extract asset without retries: a contract violation fails every attempt
    no_retries = extract_retry_policy(Settings.from_env({MAX_RETRIES_ENV: "0"}))
    key = ["raw", "crm", "opportunities"]
    extract = build_extract_asset(get_contract("crm", "opportunities"), no_retries)
    assets = [extract if a.keys == {dg.AssetKey(key)} else a for a in pipeline_assets()]
    result = case.run(key, assets=assets)
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["raw__crm__opportunities"]
    message = str(failures[0].event_specific_data.error)
    for needle in ("StageName", "raw_crm.opportunities", str(path), "Stage"):
        assert needle in message
    # the quality checks of the asset did not run either: their upstream failed
    assert not result.get_asset_check_evaluations()
    assert_blocked(case, result, key)


def test_renamed_optional_column_stops_at_columns_check(case):
    header, rows = rows_of(case.landing, "crm/opportunities", 3)
    renamed = ["Amount_EUR" if h == "Amount" else h for h in header]
    rows = [{("Amount_EUR" if k == "Amount" else k): v for k, v in r.items()} for r in rows]
    write_csv(case.landing / f"crm/opportunities/opportunities_{NEW}_delta.csv", renamed, rows)
    key = ["raw", "crm", "opportunities"]
    result = case.run(key)
    assert_gate(
        result,
        key,
        "columns_and_types",
        "raw_crm.opportunities.Amount",
        "Amount_EUR",
        "renamed?",
    )
    assert_blocked(case, result, key)


def test_warnings_do_not_block_and_a_corrected_file_unblocks(case):
    key = ["raw", "crm", "leads"]
    header, rows = rows_of(case.landing, "crm/leads", 3)
    bad = [dict(r) for r in rows]
    bad[0]["Id"] = ""
    path = write_csv(case.landing / f"crm/leads/leads_{NEW}_delta.csv", header, bad)
    audit = dg.AssetKey(["raw", "meta", "load_manifest"])

    # 1. ERROR: the load audit, downstream of the raw asset, is held back
    blocked = case.run(key, downstream=False, assets=None)
    assert not blocked.success
    again = dg.materialize(
        pipeline_assets(),
        selection=dg.AssetSelection.assets(dg.AssetKey(key), audit),
        resources=resources_for(case.warehouse, case.landing, reports=case.reports),
        raise_on_error=False,
    )
    assert not again.success, "a failing load stays pending and keeps blocking"
    assert audit not in {e.asset_key for e in again.get_asset_materialization_events()}

    # 2. the source re-delivers the file corrected; a WARN-only problem (an email without an
    #    @, an unknown lead source) is reported but lets the audit run
    fixed = [dict(r) for r in rows]
    fixed[0]["Email"] = "no-at-sign.example.com"
    fixed[1]["LeadSource"] = "Podcast"
    write_csv(path, header, fixed)
    result = dg.materialize(
        pipeline_assets(),
        selection=dg.AssetSelection.assets(dg.AssetKey(key), audit),
        resources=resources_for(case.warehouse, case.landing, reports=case.reports),
        raise_on_error=False,
    )
    assert result.success
    assert audit in {e.asset_key for e in result.get_asset_materialization_events()}
    for check, needle in (
        ("ranges_and_formats", "no-at-sign.example.com at crm/leads/"),
        ("accepted_values", "Podcast at crm/leads/"),
    ):
        ev = evaluation(result, key, check)
        assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
        assert needle in (ev.description or "")
    keys = evaluation(result, key, "keys_unique_and_not_null")
    assert keys.passed
    meta = {k: v.value for k, v in keys.metadata.items()}
    assert meta["rows_validated"] == 3  # only the corrected file; the rest was accepted before
    assert meta["files_validated"] == [f"crm/leads/leads_{NEW}_delta.csv"]
