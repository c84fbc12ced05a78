"""The quality gate in the session's full run: clean sample data passes every check, the report
is written and linked, and the reconciliation dbt tests hold (and fail when the marts lie)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import dagster as dg
import duckdb

from dagster_project.defs.resources import DBT_EXECUTABLE, DBT_PROJECT_DIR
from dagster_project.lib.html import quality_report
from dagster_project.lib.landing.contracts import CONTRACTS
from dagster_project.lib.quality import model_tests
from dagster_project.lib.quality.suite import CHECKS

RECONCILIATION = {
    "customer_revenue": "assert_billed_revenue_reconciles_raw_to_mart",
    "attribution_by_channel": "assert_attribution_rollups_reconcile_to_conversions",
    "attribution_model_comparison": "assert_attribution_model_comparison_reconciles_to_conversions",
}


def _quality_evaluations(result) -> list[dg.AssetCheckEvaluation]:
    return [e for e in result.get_asset_check_evaluations() if e.check_name in CHECKS]


def test_clean_sample_data_passes_every_quality_check(loaded):
    result = loaded["result"]
    assert result.success
    evaluations = _quality_evaluations(result)
    assert len(evaluations) == len(CONTRACTS) * len(CHECKS)
    failed = [(e.asset_key.to_user_string(), e.check_name, e.description) for e in evaluations]
    failed = [f for f, e in zip(failed, evaluations, strict=True) if not e.passed]
    assert not failed
    validated = {}
    for e in evaluations:
        meta = {k: v.value for k, v in e.metadata.items()}
        assert meta["table"] == CONTRACTS[tuple(e.asset_key.path[1:])].table
        validated[meta["table"]] = meta["rows_validated"]
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        for table, rows in validated.items():
            # the first run validates every row of every file once
            assert rows == con.execute(f"select count(*) from {table}").fetchone()[0], table
        accepted = con.execute(
            "select count(*) from raw_meta.quality_accepted_loads a "
            "join raw_meta.current_files f using (load_id)"
        ).fetchone()[0]
        files = con.execute("select count(*) from raw_meta.current_files").fetchone()[0]
    assert accepted == files


def test_quality_checks_are_blocking_except_freshness():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {
        (k.asset_key.to_user_string(), k.name): graph.get(k).blocking
        for k in graph.asset_check_keys
        if k.name in CHECKS
    }
    assert len(specs) == len(CONTRACTS) * len(CHECKS)
    assert all(blocking == (name != "freshness") for (_, name), blocking in specs.items())


def test_the_report_is_written_and_linked_from_every_check(loaded):
    report = loaded["reports"] / "quality.html"
    text = report.read_text()
    for contract in CONTRACTS.values():
        assert f"id='{contract.table}'" in text
    assert "26 passing" in text
    assert not list(loaded["reports"].glob(".quality-*"))  # no temporary file left behind
    for e in _quality_evaluations(loaded["result"]):
        url = e.metadata["report"].value
        table = e.metadata["table"].value
        assert url == f"{report.resolve().as_uri()}#{table}"


def test_reconciliation_tests_run_as_asset_checks_and_pass(loaded):
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in loaded["result"].get_asset_check_evaluations()
    }
    for model, test in RECONCILIATION.items():
        assert evaluations[(model, test)].passed, (model, test)


def test_reconciliation_tests_fail_when_the_marts_do_not_add_up(loaded, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # a paid customer vanishes, one month's credit is counted twice, Markov loses a cent
        con.execute(
            "delete from marts.customer_revenue where customer_id = (select customer_id from "
            "marts.customer_revenue where paid_invoices > 0 order by customer_id limit 1)"
        )
        con.execute(
            "insert into marts.attribution_by_month select * from marts.attribution_by_month "
            "where attribution_model = 'linear' and conversion_type = 'bookings' limit 1"
        )
        con.execute(
            "update marts.attribution_model_comparison set markov_amount = markov_amount - 0.01 "
            "where comparison_key = (select min(comparison_key) from "
            "marts.attribution_model_comparison where markov_amount > 0)"
        )
    env = {**os.environ, "RJW_DUCKDB_PATH": str(warehouse)}
    run = subprocess.run(
        [
            DBT_EXECUTABLE,
            "test",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--select",
            "tag:reconciliation",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout)
    assert run.returncode != 0
    for test in RECONCILIATION.values():
        assert re.search(rf"FAIL \d+ {test}", out), out[-3000:]


# ------------------------------------------------------------------ orphans in the models
def test_model_tests_that_do_not_pass_are_described_from_the_dbt_artifacts():
    """run_results.json and manifest.json in the shapes dbt 1.11 writes them."""
    test_id = (
        "test.revenue_journey.relationships_stg_crm__campaign_members_lead_id__lead_id__ref_"
        "stg_crm__leads_.e5f664045c"
    )
    run_results = {
        "results": [
            {"unique_id": "model.revenue_journey.stg_crm__leads", "status": "success",
             "failures": None, "message": "OK"},
            {"unique_id": test_id, "status": "warn", "failures": 6,
             "message": "Got 6 results, configured to warn if != 0"},
            {"unique_id": "test.revenue_journey.unique_stg_crm__leads_lead_id.1a2b",
             "status": "pass", "failures": 0, "message": None},
            {"unique_id": "test.revenue_journey.assert_spend_reconciles.9f", "status": "fail",
             "failures": 2, "message": "Got 2 results, configured to fail if != 0"},
        ]
    }  # fmt: skip
    manifest = {
        "nodes": {
            test_id: {
                "name": "relationships_stg_crm__campaign_members_lead_id__lead_id__ref_"
                "stg_crm__leads_",
                "attached_node": "model.revenue_journey.stg_crm__campaign_members",
                "column_name": "lead_id",
                "test_metadata": {
                    "name": "relationships",
                    "kwargs": {
                        "column_name": "lead_id",
                        "to": "ref('stg_crm__leads')",
                        "field": "lead_id",
                        "model": "{{ get_where_subquery(ref('stg_crm__campaign_members')) }}",
                    },
                    "namespace": None,
                },
            },
            "test.revenue_journey.assert_spend_reconciles.9f": {
                "name": "assert_spend_reconciles",
                "attached_node": None,
                "column_name": None,
                "test_metadata": None,
            },
        }
    }
    orphan, failed = model_tests.not_passing(run_results, manifest)
    assert orphan["test_type"] == "relationships" and orphan["status"] == "warn"
    assert (orphan["model"], orphan["column_name"], orphan["failures"]) == (
        "stg_crm__campaign_members",
        "lead_id",
        6,
    )
    assert orphan["parent"] == "stg_crm__leads.lead_id"
    assert failed["test_type"] == "singular" and failed["status"] == "fail"
    assert model_tests.failed_nodes(run_results) == [
        "assert_spend_reconciles: Got 2 results, configured to fail if != 0"
    ]
    page = quality_report.render([], model_tests=[orphan, failed])
    assert "6 orphaned row(s) in all" in page
    assert "rows whose stg_crm__leads.lead_id is not in the warehouse" in page


def test_the_session_build_records_its_orphans_and_the_report_shows_them(loaded):
    """Every relationships test that warned in the build is recorded with its failing rows,
    which equal an independent count of the child rows whose parent is missing."""
    warned = {
        e.check_name
        for e in loaded["result"].get_asset_check_evaluations()
        if not e.passed and e.check_name.startswith("relationships_")
    }
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        recorded = model_tests.latest(con)
        orphans = [r for r in recorded if r["test_type"] == "relationships"]
        assert {r["test_name"] for r in orphans} == warned
        for r in orphans:
            parent, field = r["parent"].split(".")
            schemas = dict(
                con.execute(
                    "select table_name, table_schema from information_schema.tables "
                    "where table_name in (?, ?)",
                    [r["model"], parent],
                ).fetchall()
            )
            child = f"{schemas[r['model']]}.{r['model']}"
            row_filter = f"({r['row_filter']}) and " if r["row_filter"] else ""
            column = r["column_name"]
            missing = con.execute(
                f"select count(*) from {child} where {row_filter}{column} is not null and "
                f"{column} not in (select {field} from {schemas[parent]}.{parent} "
                f"where {field} is not null)"
            ).fetchone()[0]
            assert missing == r["failures"] > 0, r
    text = (loaded["reports"] / "quality.html").read_text()
    assert "id='model-tests'" in text
    total = sum(r["failures"] for r in orphans)
    if orphans:
        assert f"{total:,} orphaned row(s) in all" in text
        for r in orphans:
            assert f"{r['model']}.{r['column_name']}" in text
    else:
        assert "no orphaned rows" in text
