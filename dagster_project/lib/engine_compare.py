"""Proof that the DuckDB build and the Spark build of the dbt project give the same numbers.

Every table (and every view the Spark side also has) in the chosen schemas of the DuckDB file is
compared with Spark's Parquet copy, ``<spark_warehouse>/<schema>.db/<table>/**/*.parquet``, read
by DuckDB itself (hive partition folders become columns). The rules:

- Only the DuckDB table's columns are compared. A Spark-only column (e.g. a partition column) is
  reported and ignored; a column missing on the Spark side makes the relation DIFFERENT.
- Row counts must be equal, and the rows must be equal as a multiset (duplicates count).
- Every non-floating column (strings, integers, booleans, dates, timestamps, decimals) must be
  identical. DECIMALs (money) are compared by value, both sides cast to DECIMAL(38, larger scale),
  so money is equal to the cent or better. Timestamps are compared as naive UTC timestamps
  (Spark's INT96 and UTC-adjusted TIMESTAMP alike; the connection runs with TimeZone UTC).
- DOUBLE/FLOAT columns are equal within a tolerance: ``|a - b| <= max(abs_tol, rel_tol *
  max(|a|, |b|))``, by default 1e-9 each. Nulls must match; NaN equals NaN, infinities only
  themselves.

Rows are paired in DuckDB SQL: each side numbers its rows within groups of identical exact-column
values (ordered by the float columns), then a full outer join on the exact columns plus that number
leaves the unmatched rows, and the paired rows' float differences are checked against the
tolerance. Verdicts: equal, equal within tolerance, DIFFERENT, missing on Spark.

CLI: ``python -m dagster_project.lib.engine_compare --duckdb W.duckdb --spark-warehouse DIR
[--schemas marts attribution] [--json out.json]``; exits 1 when any relation differs or is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dagster_project.lib.spark_output import read_parquet_sql, table_files
from dagster_project.lib.sql import ident

EQUAL, WITHIN, DIFFERENT, MISSING = (
    "equal",
    "equal within tolerance",
    "DIFFERENT",
    "missing on Spark",
)
DEFAULT_SCHEMAS = ("marts", "attribution")
FLOATS = {"DOUBLE", "FLOAT", "REAL"}
INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
INTEGERS |= {"UINTEGER", "UBIGINT", "UHUGEINT"}
EXAMPLES = 5


@dataclass
class RelationResult:
    """How one relation compares; ``max_abs_diff`` maps each float column to its largest gap."""

    relation: str
    verdict: str
    duckdb_rows: int
    spark_rows: int | None = None
    only_in_duckdb: int = 0
    only_in_spark: int = 0
    float_mismatches: int = 0  # paired rows with a float column beyond tolerance
    max_abs_diff: dict[str, float | None] = field(default_factory=dict)
    missing_on_spark_columns: list[str] = field(default_factory=list)
    spark_only_columns: list[str] = field(default_factory=list)
    duckdb_examples: list[dict] = field(default_factory=list)
    spark_examples: list[dict] = field(default_factory=list)
    error: str | None = None  # the comparison query failed (counts as DIFFERENT)


def _scale(sql_type: str) -> int:
    match = re.match(r"DECIMAL\(\d+,\s*(\d+)\)", sql_type)
    return int(match.group(1)) if match else 0


def comparison_type(duckdb_type: str, spark_type: str) -> tuple[str, str]:
    """("float" or "exact", the SQL type both sides are cast to) for one column."""
    d, s = duckdb_type.upper(), spark_type.upper()
    if d in FLOATS or (d in INTEGERS and s in FLOATS):
        return "float", "DOUBLE"
    if d.startswith("DECIMAL") or (d in INTEGERS and s.startswith("DECIMAL")):
        return "exact", f"DECIMAL(38,{max(_scale(d), _scale(s))})"
    if d.startswith("TIMESTAMP"):
        return "exact", "TIMESTAMP"
    return "exact", duckdb_type


def spark_table_dir(spark_warehouse: Path, schema: str, table: str) -> Path:
    """Where Spark keeps a table (its metastore lower-cases names)."""
    return Path(spark_warehouse) / f"{schema.lower()}.db" / table.lower()


def _describe(con: duckdb.DuckDBPyConnection, source: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe select * from {source}").fetchall()]


def _float_ok(c: str, abs_tol: float, rel_tol: float) -> str:
    """SQL: paired ``d_<c>`` and ``s_<c>`` agree (both null, equal, or within tolerance)."""
    d, s = f"d_{c}", f"s_{c}"
    tol = f"greatest({float(abs_tol)!r}, {float(rel_tol)!r} * greatest(abs({d}), abs({s})))"
    close = f"isfinite({d}) and isfinite({s}) and abs({d} - {s}) <= {tol}"
    return f"coalesce(({d} is null and {s} is null) or {d} = {s} or ({close}), false)"


def _pair_rows(con, duck_src, spark_src, columns, d_sel, s_sel, exact, floats) -> None:
    """Temp table ``_engine_compare``: both sides' rows, paired where exact columns agree."""
    window = "row_number() over ({}{})".format(
        f"partition by {', '.join(exact)} " if exact else "",
        f"order by {', '.join(floats)}" if floats else "",
    )
    on = " and ".join([f"d.{c} is not distinct from s.{c}" for c in exact] + ["d._rn = s._rn"])
    pairs = "".join(f", d.{c} as d_{c}, s.{c} as s_{c}" for _, c in columns)
    con.execute(
        f"""create or replace temp table _engine_compare as
        with d0 as (select {", ".join(d_sel) or "1 as _one"} from {duck_src}),
        s0 as (select {", ".join(s_sel) or "1 as _one"} from {spark_src}),
        d as (select *, {window} as _rn from d0),
        s as (select *, {window} as _rn from s0)
        select d._rn is not null as _in_d, s._rn is not null as _in_s{pairs}
        from d full outer join s on {on}"""
    )


def _examples(con, columns, side: str, other: str, bad: str) -> list[dict]:
    """Up to EXAMPLES rows of one side that found no partner or differ beyond tolerance."""
    cols = ", ".join(f"{side}_{c} as {ident(name)}" for name, c in columns) or "null as _"
    rows = con.execute(
        f"select {cols} from _engine_compare where _in_{side} "
        f"and (not _in_{other} or ({bad})) order by all limit {EXAMPLES}"
    )
    header = [d[0] for d in rows.description]
    return [dict(zip(header, row, strict=True)) for row in rows.fetchall()]


def compare_relation(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    spark_warehouse: Path,
    *,
    abs_tol: float = 1e-9,
    rel_tol: float = 1e-9,
) -> RelationResult:
    """Compare ``schema.table`` of the connected DuckDB file with Spark's Parquet copy."""
    relation, duck_src = f"{schema}.{table}", f"{ident(schema)}.{ident(table)}"
    duck_rows = con.execute(f"select count(*) from {duck_src}").fetchone()[0]
    folder = spark_table_dir(spark_warehouse, schema, table)
    files = table_files(folder) if folder.is_dir() else []
    if not files:
        return RelationResult(relation, MISSING, duck_rows)
    spark_src = read_parquet_sql(files)
    spark_cols = {name.lower(): (name, sql_type) for name, sql_type in _describe(con, spark_src)}
    duck_cols = _describe(con, duck_src)
    duck_names = {name.lower() for name, _ in duck_cols}
    result = RelationResult(relation, EQUAL, duck_rows)
    result.spark_only_columns = [n for n, _ in spark_cols.values() if n.lower() not in duck_names]
    columns, exact, floats, d_sel, s_sel = [], [], [], [], []
    for name, duck_type in duck_cols:
        if name.lower() not in spark_cols:
            result.missing_on_spark_columns.append(name)
            continue
        spark_name, spark_type = spark_cols[name.lower()]
        kind, cast_type = comparison_type(duck_type, spark_type)
        c = f"c{len(columns)}"
        columns.append((name, c))
        (floats if kind == "float" else exact).append(c)
        d_sel.append(f"cast({ident(name)} as {cast_type}) as {c}")
        s_sel.append(f"cast({ident(spark_name)} as {cast_type}) as {c}")
    bad = " or ".join(f"not {_float_ok(c, abs_tol, rel_tol)}" for c in floats) or "false"
    try:
        _pair_rows(con, duck_src, spark_src, columns, d_sel, s_sel, exact, floats)
    except duckdb.Error as exc:  # e.g. a Spark value that does not cast to the DuckDB type
        result.verdict, result.error = DIFFERENT, str(exc).splitlines()[0]
        return result
    moved = " or ".join(f"d_{c} is distinct from s_{c}" for c in floats) or "false"
    gaps = "".join(
        f", max(abs(d_{c} - s_{c})) filter (where isfinite(d_{c}) and isfinite(s_{c}))"
        for c in floats
    )
    stats = con.execute(
        f"""select count(*) filter (where _in_d), count(*) filter (where _in_s),
        count(*) filter (where _in_d and not _in_s), count(*) filter (where _in_s and not _in_d),
        count(*) filter (where _in_d and _in_s and ({bad})),
        count(*) filter (where _in_d and _in_s and ({moved})){gaps}
        from _engine_compare"""
    ).fetchone()
    result.duckdb_rows, result.spark_rows, result.only_in_duckdb, result.only_in_spark = stats[:4]
    result.float_mismatches, moved_rows = stats[4:6]
    names = {c: name for name, c in columns}
    result.max_abs_diff = {names[c]: gap for c, gap in zip(floats, stats[6:], strict=True)}
    if result.missing_on_spark_columns or any(stats[2:5]):
        result.verdict = DIFFERENT
        result.duckdb_examples = _examples(con, columns, "d", "s", bad)
        result.spark_examples = _examples(con, columns, "s", "d", bad)
    elif moved_rows:
        result.verdict = WITHIN
    con.execute("drop table _engine_compare")
    return result


def compare_warehouses(
    duckdb_path: Path | str,
    spark_warehouse: Path | str,
    schemas: tuple[str, ...] | list[str] = DEFAULT_SCHEMAS,
    *,
    abs_tol: float = 1e-9,
    rel_tol: float = 1e-9,
) -> list[RelationResult]:
    """Compare every table (and every view Spark also has) of ``schemas`` in the DuckDB file."""
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        relations = con.execute(
            """select schema_name, table_name, true from duckdb_tables()
            where database_name = current_database() and list_contains(?, schema_name)
            union all
            select schema_name, view_name, false from duckdb_views()
            where not internal and database_name = current_database()
              and list_contains(?, schema_name)
            order by 1, 2""",
            [list(schemas), list(schemas)],
        ).fetchall()
        return [
            compare_relation(
                con, schema, name, Path(spark_warehouse), abs_tol=abs_tol, rel_tol=rel_tol
            )
            for schema, name, is_table in relations
            if is_table or spark_table_dir(Path(spark_warehouse), schema, name).is_dir()
        ]
    finally:
        con.close()


def format_report(results: list[RelationResult]) -> str:
    """One fixed-width line per relation, notes and examples, then the summary line."""
    lines = [
        f"{'relation':<44} {'verdict':<23} {'duckdb':>9} {'spark':>9} "
        f"{'only duckdb':>11} {'only spark':>10}  float max |diff|"
    ]
    notes = []
    for r in results:
        gaps = ", ".join(f"{col}={gap:.3g}" for col, gap in r.max_abs_diff.items() if gap)
        spark_rows = "-" if r.spark_rows is None else r.spark_rows
        lines.append(
            f"{r.relation:<44} {r.verdict:<23} {r.duckdb_rows:>9} {spark_rows:>9} "
            f"{r.only_in_duckdb:>11} {r.only_in_spark:>10}  {gaps}".rstrip()
        )
        if r.missing_on_spark_columns:
            notes.append(f"{r.relation}: columns missing on Spark: {r.missing_on_spark_columns}")
        if r.spark_only_columns:
            notes.append(f"{r.relation}: Spark-only columns (ignored): {r.spark_only_columns}")
        if r.error:
            notes.append(f"{r.relation}: comparison failed: {r.error}")
        if r.float_mismatches:
            notes.append(f"{r.relation}: {r.float_mismatches} paired rows beyond float tolerance")
        for side, examples in (("DuckDB", r.duckdb_examples), ("Spark", r.spark_examples)):
            for row in examples:
                values = ", ".join(f"{col}={value}" for col, value in row.items())
                notes.append(f"{r.relation}: mismatched {side} row: {values}")
    equal = sum(r.verdict in (EQUAL, WITHIN) for r in results)
    within = sum(r.verdict == WITHIN for r in results)
    summary = f"{equal} of {len(results)} relations equal ({within} within tolerance)"
    return "\n".join([*lines, *([""] + notes if notes else []), "", summary])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb", required=True, type=Path, help="the DuckDB warehouse file")
    parser.add_argument(
        "--spark-warehouse", required=True, type=Path, help="spark.sql.warehouse.dir"
    )
    parser.add_argument("--schemas", nargs="+", default=list(DEFAULT_SCHEMAS))
    parser.add_argument("--abs-tol", type=float, default=1e-9, help="float tolerance, absolute")
    parser.add_argument("--rel-tol", type=float, default=1e-9, help="float tolerance, relative")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    results = compare_warehouses(
        args.duckdb, args.spark_warehouse, args.schemas, abs_tol=args.abs_tol, rel_tol=args.rel_tol
    )
    print(format_report(results))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2, default=str))
    return int(any(r.verdict in (DIFFERENT, MISSING) for r in results))


if __name__ == "__main__":
    sys.exit(main())
