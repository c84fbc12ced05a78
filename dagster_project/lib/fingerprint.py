"""Order-independent fingerprints of warehouse tables, to prove a refactoring changed no number.

    python -m dagster_project.lib.fingerprint data/warehouse.duckdb > before.tsv
    ... change the code, rebuild ...
    python -m dagster_project.lib.fingerprint data/warehouse.duckdb --compare before.tsv

Each table's rows are serialised column by column (DOUBLE rounded to 6 decimals: the last bits of
float sums vary with thread scheduling between two builds of the same data), hashed per row, and
the sorted row hashes hashed again, so row order does not matter and any changed value does.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from dagster_project.lib.sql import ident

DEFAULT_SCHEMAS = ("marts", "attribution")
FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def table_fingerprints(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = DEFAULT_SCHEMAS
) -> dict[str, tuple[int, str]]:
    """``{"schema.table": (rows, md5)}`` for every table of ``schemas``."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in (select unnest(?)) and table_type = 'BASE TABLE' order by 1, 2",
        [list(schemas)],
    ).fetchall()
    out = {}
    for schema, table in tables:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        values = [f"round({ident(c)}, 6)" if t in FLOAT_TYPES else ident(c) for c, t in columns]
        row = (
            "concat_ws('|', "
            + ", ".join(f"coalesce(cast({v} as varchar), '<null>')" for v in values)
            + ")"
        )
        rows, digest = con.execute(
            f"select count(*), md5(coalesce(string_agg(md5({row}), '' order by md5({row})), '')) "
            f"from {ident(schema)}.{ident(table)}"
        ).fetchone()
        out[f"{schema}.{table}"] = (int(rows), digest)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse")
    parser.add_argument("--schemas", nargs="+", default=list(DEFAULT_SCHEMAS))
    parser.add_argument("--compare", help="a file this command wrote before: print differences")
    args = parser.parse_args(argv)
    with duckdb.connect(args.warehouse, read_only=True) as con:
        prints = table_fingerprints(con, tuple(args.schemas))
    if not args.compare:
        for name, (rows, digest) in prints.items():
            print(f"{name}\t{rows}\t{digest}")
        return 0
    before = {}
    for line in Path(args.compare).read_text().splitlines():
        name, rows, digest = line.split("\t")
        before[name] = (int(rows), digest)
    changed = sorted(n for n in before.keys() | prints.keys() if before.get(n) != prints.get(n))
    for name in changed:
        print(f"DIFFERENT {name}: before {before.get(name)}, now {prints.get(name)}")
    print(f"{len(prints) - len(changed)} of {len(before | prints)} tables identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
