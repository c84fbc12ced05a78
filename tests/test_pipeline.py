"""The real Dagster definitions, extract assets and dbt project on a small generated world."""

from __future__ import annotations

import shutil
from collections import Counter

import dagster as dg
import duckdb
import yaml

from dagster_project.defs.resources import REPO_ROOT
from dagster_project.defs.sources import crm
from dagster_project.lib.landing.contracts import CONTRACTS
from dagster_project.lib.landing.dbt_sources import sources_path, sources_yaml
from tests.conftest import EXTRACT_ASSETS, resources_for


def test_definitions_load_with_every_source_object_and_the_dbt_models():
    from dagster_project.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    for c in CONTRACTS.values():
        assert "/".join(c.asset_path) in keys
    assert "stg_meta__file_loads" in keys
    assert defs.resolve_job_def("warehouse_build") is not None
    # dbt sources are the extract assets, not separate source stubs
    spec = next(
        s for s in defs.resolve_all_asset_specs() if s.key == dg.AssetKey("stg_meta__file_loads")
    )
    assert dg.AssetKey(["raw", "meta", "load_manifest"]) in {d.asset_key for d in spec.deps}


def test_workspace_loads_the_definitions_module():
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]["module_name"]
    assert module == "dagster_project.definitions"


def test_dbt_sources_are_generated_from_the_contracts():
    for system in ("crm", "ads", "billing"):
        assert sources_path(system).read_text() == sources_yaml(system), (
            f"{sources_path(system)} is stale: "
            "run python -m dagster_project.lib.landing.dbt_sources"
        )


def _expected_rows(world: dict) -> tuple[Counter, Counter]:
    """Rows written per raw table (from the generator's file list) and malformed rows per table."""
    written, malformed = Counter(), Counter()
    for f in world["summary"]["files"]:
        system, obj = f["file"].split("/")[:2]
        written[CONTRACTS[(system, obj)].table] += f["rows"]
    with duckdb.connect() as con:
        for obj, n in con.execute(
            f"select object, count(*) from '{world['truth']}/malformed.parquet' group by 1"
        ).fetchall():
            table = next(c.table for c in CONTRACTS.values() if c.object == obj)
            malformed[table] = n
    return written, malformed


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    out = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def test_every_object_lands_with_nothing_lost(loaded):
    assert loaded["result"].success
    written, malformed = _expected_rows(loaded["world"])
    meta = _metadata(loaded["result"])
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        for c in CONTRACTS.values():
            m = meta["/".join(c.asset_path)]
            rows = con.execute(f"select count(*) from {c.table}").fetchone()[0]
            rejected = con.execute(
                "select count(distinct (source_uri, line)) from raw_meta.load_rejects "
                "where table_name = ?",
                [c.table],
            ).fetchone()[0]
            assert m["rows_received"] == written[c.table], c.table
            assert rows == m["rows_loaded"] == written[c.table] - malformed[c.table], c.table
            assert rejected == m["rows_rejected"] == malformed[c.table], c.table
            assert m["dagster/row_count"] == rows
    assert sum(malformed.values()) >= 7  # the generator's malformed rows were all caught


def test_rejects_name_file_line_column_and_reason(loaded):
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        rows = con.execute("""
            select table_name, source_uri, line, column_name, error_type, reason
            from raw_meta.load_rejects where table_name = 'raw_crm.leads'""").fetchall()
    assert rows
    for _table, uri, line, _column, error_type, reason in rows:
        assert uri.startswith("crm/leads/leads_") and line > 1 and error_type and reason
    assert any(col == "MQL_Date__c" and "31/02/2026" in reason for *_, col, _, reason in rows)


def test_raw_data_is_coherent_across_systems(loaded):
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        # converted leads point at opportunities and accounts that exist
        assert (
            q("""select count(*) from raw_crm.leads l where "ConvertedOpportunityId" is not null
                    and "ConvertedOpportunityId" not in (select "Id" from raw_crm.opportunities)
                 """)
            == 0
        )
        # click ids captured on forms are real ad clicks (modulo the few malformed click rows)
        captured = q("select count(*) from raw_crm.form_submissions where click_id like 'Cj0%'")
        unmatched = q("""select count(*) from raw_crm.form_submissions f where click_id like
                         'Cj0%' and click_id not in (select click_view_gclid from
                         raw_ads.google_ads_clicks)""")
        assert captured > 0 and unmatched <= 2
        # every invoice belongs to a known Stripe customer; timestamps arrive in UTC
        assert (
            q("""select count(*) from raw_billing.invoices
                    where customer not in (select id from raw_billing.customers)""")
            == 0
        )
        assert (
            q("""select count(*) from raw_crm.accounts
                    where "CreatedDate" > timestamptz '2026-11-01 00:00:00+00'""")
            == 0
        )
        # the lead re-exported with a newer version is present in both versions in raw
        assert (
            q("""select count(*) from (select "Id" from raw_crm.leads group by 1
                    having count(distinct "LastModifiedDate") > 1)""")
            > 0
        )


def test_dbt_build_runs_through_dagster_with_its_tests_as_checks(loaded):
    result = loaded["result"]
    checks = result.get_asset_check_evaluations()
    assert len(checks) > 250
    failed = {c.check_name for c in checks if not c.passed}
    # errors block; the only warnings are foreign keys to the lead the loader rejected
    assert all(c.passed for c in checks if c.severity == dg.AssetCheckSeverity.ERROR)
    assert all("ref_stg_crm__leads" in name for name in failed), failed
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        files, reconciled = con.execute("""
            select count(*), count(*) filter (where rows_loaded + rows_rejected = rows_received)
            from staging.stg_meta__file_loads""").fetchone()
    assert files == len(loaded["world"]["summary"]["files"]) == reconciled


def test_rerun_loads_nothing_new_and_a_new_file_appends(loaded, tmp_path):
    # copies of the warehouse and the landing zone (the session's warehouse stays untouched);
    # file identity is the path relative to the landing root
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    landing = tmp_path / "landing"
    shutil.copytree(loaded["world"]["landing"], landing)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = {
            c.table: con.execute(f"select count(*) from {c.table}").fetchone()[0]
            for c in CONTRACTS.values()
        }
    again = dg.materialize(EXTRACT_ASSETS, resources=resources_for(warehouse, landing))
    meta = _metadata(again)
    assert all(m["rows_loaded"] == 0 and m["files_loaded"] == 0 for m in meta.values())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in before}
    assert after == before

    users = next((landing / "crm" / "users").glob("*.csv"))
    header, first = users.read_text().splitlines()[:2]
    new_row = first.replace(first.split(",")[0], "005NEW000000000001", 1)
    (landing / "crm" / "users" / "users_20261101T020000Z_full.csv").write_text(
        f"{header}\n{new_row}\n"
    )
    third = dg.materialize([crm.assets[0]], resources=resources_for(warehouse, landing))
    m = _metadata(third)["raw/crm/users"]
    assert (m["files_loaded"], m["rows_loaded"], m["files_skipped_unchanged"]) == (1, 1, 1)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw_crm.users").fetchone()[0] == (
            before["raw_crm.users"] + 1
        )


def test_dbt_builds_into_the_warehouse_of_the_duckdb_resource(loaded, tmp_path, monkeypatch):
    """The warehouse is given only as the DuckDB resource: dbt builds into that file, whatever
    the environment says (RJW_DUCKDB_PATH points elsewhere here)."""
    from tests.conftest import pipeline_assets

    decoy = tmp_path / "elsewhere" / "warehouse.duckdb"
    monkeypatch.setenv("RJW_DUCKDB_PATH", str(decoy))
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        expected = con.execute("select count(*) from marts.opportunity_journeys").fetchone()[0]
        con.execute("drop table marts.opportunity_journeys")
    result = dg.materialize(
        pipeline_assets(),
        selection=dg.AssetSelection.assets(dg.AssetKey("opportunity_journeys")),
        resources=resources_for(warehouse, loaded["world"]["landing"]),
    )
    assert result.success
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rebuilt = con.execute("select count(*) from marts.opportunity_journeys").fetchone()[0]
    assert rebuilt == expected > 0
    assert not decoy.exists() and not decoy.parent.exists()
