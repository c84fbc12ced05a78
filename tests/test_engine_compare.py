"""The DuckDB-vs-Spark comparison on a real DuckDB file and a Parquet "Spark" warehouse.

The Spark side is written by DuckDB in Spark's layout (``<dir>/marts.db/<table>/part-00000.parquet``
and hive partition folders) with Spark's types: wide decimals, UTC-adjusted timestamps, BIGINTs.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.engine_compare import (
    DIFFERENT,
    EQUAL,
    MISSING,
    WITHIN,
    compare_warehouses,
    comparison_type,
    main,
)

DUCKDB_TABLES = {
    "revenue": """
        select * from (values
            ('a-1', 120.50::decimal(18, 2), 0.25::double, timestamp '2026-01-05 10:00:00', 'new'),
            ('a-2', 99.99, 0.75, timestamp '2026-01-06 23:59:59.123456', null),
            ('a-2', 99.99, 0.75, timestamp '2026-01-06 23:59:59.123456', null),
            ('a-3', null, null, null, 'churned')
        ) as t(account_id, amount, share, closed_at, note)""",
    "touches": """
        select * from (values
            ('ads', date '2026-01-01', 3::hugeint, 0.5::double),
            ('email', date '2026-01-01', 1, 1.0 / 3),
            ('ads', date '2026-02-01', 7, 2.0 / 3)
        ) as t(channel, touched_month, touches, weight)""",
    "credits": """
        select * from (values
            ('a-1', 'ads', 0.1::double),
            ('a-1', 'ads', 0.3),
            ('a-1', 'ads', 0.2),
            ('a-2', 'email', 'nan'::double)
        ) as t(account_id, channel, credit)""",
}
# the Spark side as dbt-spark writes it: (select from the DuckDB table, partition column)
SPARK_TABLES = {
    "revenue": (
        "select account_id, amount::decimal(38, 6) as amount, share, "
        "closed_at::timestamptz as closed_at, note from marts.revenue",
        None,
    ),
    "touches": (
        "select channel, touched_month, touches::bigint as touches, weight from marts.touches",
        "touched_month",
    ),
    # rows in another order, and a partition column the DuckDB table lacks
    "credits": (
        "select *, 1 as spark_batch from marts.credits order by credit desc",
        "spark_batch",
    ),
}


def write_spark(con, spark_dir: Path, table: str, sql: str, partition: str | None) -> None:
    """COPY one relation into Spark's layout (partition values only in the folder names)."""
    folder = spark_dir / "marts.db" / table
    if partition is None:
        folder.mkdir(parents=True)
        con.execute(f"copy ({sql}) to '{folder}/part-00000.parquet' (format parquet)")
        return
    for (value,) in con.execute(f"select distinct {partition} from ({sql})").fetchall():
        part = folder / f"{partition}={value}"
        part.mkdir(parents=True)
        con.execute(
            f"copy (select * exclude ({partition}) from ({sql}) where {partition} = '{value}') "
            f"to '{part}/part-00000.parquet' (format parquet)"
        )


@pytest.fixture
def build(tmp_path):
    """build(spark={table: sql or None}) -> (duckdb file, spark warehouse); None = no folder."""

    def _build(spark: dict[str, str | None] | None = None) -> tuple[Path, Path]:
        db, spark_dir = tmp_path / "warehouse.duckdb", tmp_path / "spark"
        con = duckdb.connect(str(db))
        con.execute("set TimeZone = 'UTC'; create schema marts")
        for table, sql in DUCKDB_TABLES.items():
            con.execute(f"create table marts.{table} as {sql}")
        con.execute("create view marts.revenue_view as select * from marts.revenue")
        for table, (sql, partition) in SPARK_TABLES.items():
            sql = (spark or {}).get(table, sql)
            if sql is not None:
                write_spark(con, spark_dir, table, sql, partition)
        con.close()
        return db, spark_dir

    return _build


def by_table(results):
    return {r.relation.removeprefix("marts."): r for r in results}


def test_identical_data_is_equal_and_spark_partition_column_is_reported(build, capsys):
    db, spark_dir = build()
    results = by_table(compare_warehouses(db, spark_dir, ["marts"]))

    # the view has no Spark folder, so it is skipped
    assert sorted(results) == ["credits", "revenue", "touches"]
    assert {t: r.verdict for t, r in results.items()} == dict.fromkeys(results, EQUAL)
    assert (results["revenue"].duckdb_rows, results["revenue"].spark_rows) == (4, 4)
    assert results["credits"].spark_only_columns == ["spark_batch"]
    assert results["credits"].max_abs_diff == {"credit": 0.0}
    assert results["touches"].spark_only_columns == []  # touched_month is compared
    assert results["touches"].missing_on_spark_columns == []

    assert (
        main(["--duckdb", str(db), "--spark-warehouse", str(spark_dir), "--schemas", "marts"]) == 0
    )
    out = capsys.readouterr().out
    assert out.strip().endswith("3 of 3 relations equal (0 within tolerance)")
    assert "Spark-only columns (ignored): ['spark_batch']" in out


def test_a_changed_cent_is_different_and_shown(build, capsys):
    sql, _ = SPARK_TABLES["revenue"]
    changed = sql.replace(
        "amount::decimal(38, 6) as amount",
        "(amount + case when account_id = 'a-1' then 0.01 else 0 end)::decimal(38, 6) as amount",
    )
    db, spark_dir = build({"revenue": changed})
    result = by_table(compare_warehouses(db, spark_dir, ["marts"]))["revenue"]

    assert result.verdict == DIFFERENT
    assert (result.only_in_duckdb, result.only_in_spark) == (1, 1)
    assert [r["amount"] for r in result.duckdb_examples] == [Decimal("120.50")]
    assert [r["amount"] for r in result.spark_examples] == [Decimal("120.51")]
    assert result.spark_examples[0]["account_id"] == "a-1"

    assert (
        main(["--duckdb", str(db), "--spark-warehouse", str(spark_dir), "--schemas", "marts"]) == 1
    )
    out = capsys.readouterr().out
    assert "2 of 3 relations equal (0 within tolerance)" in out
    assert "mismatched Spark row: account_id=a-1, amount=120.510000, share=0.25" in out
    assert "mismatched DuckDB row: account_id=a-1, amount=120.500000, share=0.25" in out


@pytest.mark.parametrize(
    ("delta", "verdict", "mismatches"), [(1e-12, WITHIN, 0), (1e-3, DIFFERENT, 1)]
)
def test_double_tolerance(build, delta, verdict, mismatches):
    sql, _ = SPARK_TABLES["revenue"]
    moved = sql.replace(" share,", f" share + if(account_id = 'a-1', {delta}, 0) as share,")
    db, spark_dir = build({"revenue": moved})
    result = by_table(compare_warehouses(db, spark_dir, ["marts"]))["revenue"]

    assert result.verdict == verdict
    assert (result.only_in_duckdb, result.only_in_spark) == (0, 0)
    assert result.float_mismatches == mismatches
    assert result.max_abs_diff["share"] == pytest.approx(delta, rel=1e-3)
    if verdict == DIFFERENT:
        assert [r["share"] for r in result.duckdb_examples] == [0.25]
        assert [r["share"] for r in result.spark_examples] == [pytest.approx(0.25 + delta)]


def test_tolerance_is_a_parameter(build):
    sql, _ = SPARK_TABLES["revenue"]
    moved = sql.replace(" share,", " share + 1e-3 as share,")
    db, spark_dir = build({"revenue": moved})
    loose = compare_warehouses(db, spark_dir, ["marts"], abs_tol=1e-2)
    assert by_table(loose)["revenue"].verdict == WITHIN


def test_a_null_against_a_value_is_different(build):
    sql, _ = SPARK_TABLES["revenue"]
    db, spark_dir = build({"revenue": sql.replace(" share,", " coalesce(share, 0.0) as share,")})
    result = by_table(compare_warehouses(db, spark_dir, ["marts"]))["revenue"]
    assert result.verdict == DIFFERENT
    assert result.float_mismatches == 1  # a-3: null in DuckDB, 0.0 on Spark
    assert result.duckdb_examples[0]["account_id"] == "a-3"


@pytest.mark.parametrize(
    ("where", "spark_rows", "only_duckdb", "only_spark"),
    [
        ("where account_id <> 'a-1'", 3, 1, 0),  # a missing row
        ("union all select * from marts.revenue where account_id = 'a-1'", 5, 0, 1),  # duplicated
        ("qualify row_number() over (partition by account_id) = 1", 3, 1, 0),  # a duplicate lost
    ],
)
def test_missing_or_duplicated_rows_are_counted(build, where, spark_rows, only_duckdb, only_spark):
    db, spark_dir = build({"revenue": f"select * from marts.revenue {where}"})
    result = by_table(compare_warehouses(db, spark_dir, ["marts"]))["revenue"]

    assert result.verdict == DIFFERENT
    assert (result.duckdb_rows, result.spark_rows) == (4, spark_rows)
    assert (result.only_in_duckdb, result.only_in_spark) == (only_duckdb, only_spark)
    assert len(result.duckdb_examples) == only_duckdb
    assert len(result.spark_examples) == only_spark


def test_missing_folder_and_missing_column(build, capsys, tmp_path):
    db, spark_dir = build(
        {"touches": None, "credits": "select account_id, 1 as spark_batch from marts.credits"}
    )
    results = by_table(compare_warehouses(db, spark_dir, ["marts"]))

    assert results["touches"].verdict == MISSING
    assert results["touches"].spark_rows is None
    assert results["credits"].verdict == DIFFERENT
    assert results["credits"].missing_on_spark_columns == ["channel", "credit"]

    out_json = tmp_path / "out.json"
    argv = ["--duckdb", str(db), "--spark-warehouse", str(spark_dir), "--schemas", "marts"]
    assert main([*argv, "--json", str(out_json)]) == 1
    assert "1 of 3 relations equal (0 within tolerance)" in capsys.readouterr().out
    verdicts = {r["relation"]: r["verdict"] for r in json.loads(out_json.read_text())}
    assert verdicts == {
        "marts.credits": DIFFERENT,
        "marts.revenue": EQUAL,
        "marts.touches": MISSING,
    }


def test_a_view_is_compared_when_spark_has_it(build):
    db, spark_dir = build()
    con = duckdb.connect()
    write_spark(
        con,
        spark_dir,
        "revenue_view",
        f"select * from read_parquet('{spark_dir}/marts.db/revenue/*.parquet')",
        None,
    )
    results = by_table(compare_warehouses(db, spark_dir, ["marts"]))
    assert results["revenue_view"].verdict == EQUAL
    assert results["revenue_view"].spark_rows == 4


def test_comparison_type():
    assert comparison_type("DECIMAL(18,2)", "DECIMAL(38,6)") == ("exact", "DECIMAL(38,6)")
    assert comparison_type("BIGINT", "DECIMAL(38,0)") == ("exact", "DECIMAL(38,0)")
    assert comparison_type("DOUBLE", "DOUBLE") == ("float", "DOUBLE")
    assert comparison_type("BIGINT", "DOUBLE") == ("float", "DOUBLE")
    assert comparison_type("TIMESTAMP", "TIMESTAMP WITH TIME ZONE") == ("exact", "TIMESTAMP")
    assert comparison_type("VARCHAR", "VARCHAR") == ("exact", "VARCHAR")
