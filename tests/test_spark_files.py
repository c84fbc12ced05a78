"""The files the Spark target reads and writes, without Spark: the raw tables' Parquet copy
(one partition per load, written after each committed file by the real extract asset), Spark's
output made readable in the DuckDB warehouse, the settings that choose the engine, and the
sources' declared columns Spark's raw tables are created with."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.defs.resources import LandingZone, build_resources
from dagster_project.defs.sources.extract import build_extract_asset
from dagster_project.lib import spark_output
from dagster_project.lib.env import SettingsError
from dagster_project.lib.landing import parquet_mirror
from dagster_project.lib.landing.contracts import get_contract
from dagster_project.lib.landing.loader import load_object
from dagster_project.lib.landing.manifest import MANIFEST_COLUMNS, REJECTS_COLUMNS
from dagster_project.lib.paths import DBT_PROJECT_DIR
from dagster_project.lib.settings import Settings

OPPS = get_contract("crm", "opportunities")
HEADER = (
    "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,Probability,CloseDate,IsClosed,IsWon,"
    "OwnerId,CreatedDate,LastModifiedDate,IsDeleted"
)


def opp(id_: str, amount: str) -> str:
    return (
        f"{id_},001A,Deal,Prospecting,{amount},EUR,10,2026-02-01,false,false,005A,"
        "2026-01-05T10:00:00.000+0000,2026-01-06T09:30:00.000+0000,false"
    )


def land(landing: Path, name: str, text: str) -> None:
    path = landing / OPPS.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def partitions(root: Path, table: str = "opportunities") -> dict[int, list[tuple]]:
    """load id -> the rows (Id, Amount) of its Parquet partition, read back with DuckDB."""
    out = {}
    for folder in sorted((root / "raw_crm" / table).glob("_load_id=*")):
        with duckdb.connect() as con:
            out[int(folder.name.split("=")[1])] = con.execute(
                f"select Id, Amount from read_parquet('{folder}/*.parquet') order by Id"
            ).fetchall()
    return out


def test_each_committed_file_is_one_partition_and_a_changed_file_replaces_it(tmp_path):
    landing, root = tmp_path / "landing", tmp_path / "raw"
    land(landing, "opportunities_1.csv", f"{HEADER}\n{opp('006A', '1.00')}\n{opp('006B', 'x')}\n")
    land(landing, "opportunities_2.csv", f"{HEADER}\n{opp('006C', '3.00')}\n")
    calls = []

    def after_commit(con):
        calls.append(parquet_mirror.sync(con, root))

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_object(con, OPPS, landing, after_commit=after_commit)
        loads = con.execute("select load_id from raw_meta.load_manifest order by 1").fetchall()
        first, second = (r[0] for r in loads)
        # after each file's commit: that file's load, nothing else
        assert [c.written for c in calls] == [
            [f"raw_crm.opportunities/_load_id={first}", f"raw_meta.load_rejects/load_id={first}"],
            [f"raw_crm.opportunities/_load_id={second}"],
        ]
        assert partitions(root) == {
            first: [("006A", Decimal("1.00"))],
            second: [("006C", Decimal("3.00"))],
        }
        # the rejected line is kept in its load's partition, with its line and reason
        rejects = con.execute(
            f"select line, column_name from read_parquet('{root}/raw_meta/load_rejects/"
            f"load_id={first}/*.parquet')"
        ).fetchall()
        assert rejects == [(3, "Amount")]

        # a changed file: its new load replaces the old partition; the rejects go with it
        land(landing, "opportunities_1.csv", f"{HEADER}\n{opp('006A', '2.00')}\n")
        load_object(con, OPPS, landing, after_commit=after_commit)
        third = con.execute("select max(load_id) from raw_meta.load_manifest").fetchone()[0]
        assert calls[-1].removed == [
            f"raw_crm.opportunities/_load_id={first}",
            f"raw_meta.load_rejects/load_id={first}",
        ]
        assert partitions(root) == {
            second: [("006C", Decimal("3.00"))],
            third: [("006A", Decimal("2.00"))],
        }
        assert not (root / "raw_meta" / "load_rejects" / f"load_id={first}").exists()
        # the manifest is one file, rewritten: the old load now superseded by the new one
        superseded = con.execute(
            f"select load_id, superseded_by from read_parquet('{root}/raw_meta/load_manifest/"
            "*.parquet') order by load_id"
        ).fetchall()
        assert superseded == [(first, third), (second, None), (third, None)]
        # nothing new: nothing written or removed
        again = parquet_mirror.sync(con, root)
        assert (again.written, again.removed) == ([], [])


def test_a_crash_between_commit_and_copy_is_mended_by_the_next_sync(tmp_path):
    landing, root = tmp_path / "landing", tmp_path / "raw"
    land(landing, "opportunities_1.csv", f"{HEADER}\n{opp('006A', '1.00')}\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_object(con, OPPS, landing)  # committed, never copied
        (root / "raw_crm" / "opportunities" / ".tmp-leftover").mkdir(parents=True)
        result = parquet_mirror.sync(con, root)
        load_id = con.execute("select max(load_id) from raw_meta.load_manifest").fetchone()[0]
    assert result.written == [f"raw_crm.opportunities/_load_id={load_id}"]
    assert partitions(root) == {load_id: [("006A", Decimal("1.00"))]}
    assert not (root / "raw_crm" / "opportunities" / ".tmp-leftover").exists()


def test_a_partition_that_does_not_hold_its_load_is_written_again(tmp_path):
    """A warehouse started afresh reuses load ids: the old file is replaced, not trusted."""
    root = tmp_path / "raw"
    for name, amount in (("first", "1.00"), ("second", "2.00")):
        landing = tmp_path / name
        land(
            landing,
            "opportunities_1.csv",
            f"{HEADER}\n{opp('006A', amount)}\n{opp('006B', amount)}\n",
        )
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            load_object(con, OPPS, landing)
            if name == "second":  # same load id, one row fewer
                con.execute("delete from raw_crm.opportunities where Id = '006B'")
            result = parquet_mirror.sync(con, root)
    assert result.written == ["raw_crm.opportunities/_load_id=1"]
    assert partitions(root) == {1: [("006A", Decimal("2.00"))]}


def test_the_extract_asset_copies_its_loads_when_the_landing_zone_has_a_parquet_folder(tmp_path):
    landing, root = tmp_path / "landing", tmp_path / "spark" / "raw"
    land(landing, "opportunities_1.csv", f"{HEADER}\n{opp('006A', '1.00')}\n")
    warehouse = tmp_path / "w.duckdb"
    from dagster_duckdb import DuckDBResource

    result = dg.materialize(
        [build_extract_asset(OPPS)],
        resources={
            "duckdb": DuckDBResource(database=str(warehouse)),
            "landing": LandingZone(root=str(landing), raw_parquet=str(root)),
        },
    )
    assert result.success
    assert [rows for rows in partitions(root).values()] == [[("006A", Decimal("1.00"))]]
    assert (root / "raw_meta" / "load_manifest" / "data.parquet").exists()


def spark_table(warehouse: Path, schema: str, table: str, sql: str, partition: str = "") -> None:
    folder = warehouse / f"{schema}.db" / table / partition
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({sql}) to '{folder / 'part-00000.parquet'}' (format parquet)")


def test_spark_tables_become_duckdb_views_replacing_a_duckdb_build(tmp_path):
    spark = tmp_path / "warehouse"
    spark_table(spark, "marts", "accounts", "select 'a1' as account_id, 12.50::decimal(18,2) as x")
    spark_table(
        spark, "marts", "touchpoints", "select 't1' as touchpoint_id", "record_type=ad_click"
    )
    spark_table(spark, "attribution", "credit", "select 'paid_search' as channel, 0.5 as share")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        # what a DuckDB build left: a table of the same name, a stale view, an unrelated table
        con.execute("create schema marts")
        con.execute("create table marts.accounts as select 'old' as account_id")
        con.execute("create view marts.int_old as select 1 as x")
        con.execute("create table marts.kept as select 1 as x")
        attached = spark_output.attach(con, spark)
        assert attached == ["marts.accounts", "marts.touchpoints", "attribution.credit"]
        assert con.execute("select * from marts.accounts").fetchall() == [("a1", Decimal("12.50"))]
        # a partition folder is a column, as Spark reads it
        assert con.execute(
            "select touchpoint_id, record_type from marts.touchpoints"
        ).fetchall() == [("t1", "ad_click")]
        views = con.execute(
            "select table_schema || '.' || table_name, table_type from information_schema.tables "
            "where table_schema in ('marts', 'attribution') order by 1"
        ).fetchall()
    assert views == [
        ("attribution.credit", "VIEW"),
        ("marts.accounts", "VIEW"),
        ("marts.kept", "BASE TABLE"),
        ("marts.touchpoints", "VIEW"),
    ]


def test_spark_scratch_folders_are_not_read_as_data(tmp_path):
    spark = tmp_path / "warehouse"
    spark_table(
        spark, "marts", "touchpoints", "select 't1' as touchpoint_id", "record_type=ad_click"
    )
    # what a killed Spark write leaves: its temporary and staging copies of the same rows
    spark_table(spark, "marts", "touchpoints", "select 't1' as touchpoint_id", "_temporary/0")
    table = spark / "marts.db" / "touchpoints"
    staging = table / ".spark-staging-1" / "record_type=ad_click"
    staging.mkdir(parents=True)
    shutil.copy(table / "record_type=ad_click" / "part-00000.parquet", staging / "part-0.parquet")
    assert spark_output.table_files(table) == [table / "record_type=ad_click/part-00000.parquet"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        spark_output.attach(con, spark)
        assert con.execute("select count(*) from marts.touchpoints").fetchone() == (1,)


def test_the_engine_setting_chooses_dbt_target_executable_and_parquet_folder(tmp_path):
    assert Settings.from_env({}).dbt_target == "duckdb"
    with pytest.raises(SettingsError, match="RJW_DBT_TARGET='trino'"):
        Settings.from_env({"RJW_DBT_TARGET": "trino"})
    duck = build_resources(Settings.from_env({"RJW_DUCKDB_PATH": str(tmp_path / "w.duckdb")}))
    assert (duck["dbt"].target, duck["dbt"].on_spark, duck["landing"].raw_parquet) == (
        None,
        False,
        None,
    )
    settings = Settings.from_env(
        {
            "RJW_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
            "RJW_DBT_TARGET": "Spark",
            "RJW_SPARK_DIR": str(tmp_path / "spark"),
        }
    )
    spark = build_resources(settings)
    assert spark["dbt"].target == "spark"
    assert Path(spark["dbt"].dbt_executable).name == "rjw-dbt"
    assert spark["dbt"].spark_warehouse == tmp_path / "spark" / "warehouse"
    assert spark["landing"].raw_parquet == str(tmp_path / "spark" / "raw")


def test_meta_sources_declare_the_loaders_columns_with_their_types():
    """Spark creates raw_meta's tables from these declarations (macros/spark_raw_tables.sql)."""
    doc = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/meta/_meta__sources.yml").read_text())
    tables = {t["name"]: t for t in doc["sources"][0]["tables"]}
    for name, columns in (("load_manifest", MANIFEST_COLUMNS), ("load_rejects", REJECTS_COLUMNS)):
        declared = {c["name"]: c["data_type"] for c in tables[name]["columns"]}
        expected = {
            column: kind.replace(" NOT NULL", "").lower().replace("timestamptz", "timestamptz")
            for column, kind in columns.items()
        }
        assert declared == expected
    assert tables["load_manifest"]["meta"]["load_column"] == ""
    assert tables["load_rejects"]["meta"]["load_column"] == "load_id"
