"""What a Spark build of the dbt project wrote, readable in the DuckDB warehouse.

With the Spark target (``RJW_DBT_TARGET=spark``) dbt writes its tables as Parquet under Spark's
warehouse folder, ``<spark dir>/warehouse/<schema>.db/<table>/``. The assets after dbt (the
report, the analysts' snapshot, the PostgreSQL copy, the write-back, the quality report) read
the warehouse through the DuckDB resource whichever engine built it: ``attach`` makes each of
Spark's tables a DuckDB view over its Parquet files (``read_parquet``, Spark's partition folders
as columns), in the schema of the same name, replacing the table or view a DuckDB build left
there. Spark's own views (the ``intermediate`` layer) have no files and are not attached; the
DuckDB views of that name are dropped, since they would read stale DuckDB tables. A view lists
its files when it is made (the next Spark build makes it again), leaving out Spark's scratch
folders; all views change in one transaction.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMAS = ("seeds", "staging", "intermediate", "marts", "attribution")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_files(table: Path) -> list[Path]:
    """The data files of one Spark table: its Parquet files, in partition folders or not,
    without what Spark keeps beside them while writing (``_temporary/``, ``.spark-staging-*``,
    ``_SUCCESS``): a killed write leaves those behind, and read as data they would count twice."""
    return sorted(
        path
        for path in Path(table).rglob("*.parquet")
        if not any(part.startswith(("_", ".")) for part in path.relative_to(table).parts[:-1])
        and not path.name.startswith(("_", "."))
    )


def read_parquet_sql(files: list[Path]) -> str:
    """``read_parquet([...])`` of ``files`` with Spark's partition folders as columns."""
    listed = ", ".join("'" + f.as_posix().replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], hive_partitioning = true, union_by_name = true)"


def attach(
    con: duckdb.DuckDBPyConnection, warehouse: Path, schemas: tuple[str, ...] = SCHEMAS
) -> list[str]:
    """Views over every Spark table of ``schemas``; returns their names (``schema.table``)."""
    attached = []
    con.execute("BEGIN TRANSACTION")  # readers see the old views or the new, never half
    try:
        for schema in schemas:
            folder = Path(warehouse) / f"{schema}.db"
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            existing = dict(
                con.execute(
                    "SELECT table_name, table_type FROM information_schema.tables "
                    "WHERE table_catalog = current_database() AND table_schema = ?",
                    [schema],
                ).fetchall()
            )
            tables = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.exists() else []
            names = {p.name for p in tables}
            for name, kind in existing.items():
                # a DuckDB build's table of the same name (also when Spark's has no rows, so
                # no file: better missing than stale) and every view (they read DuckDB's)
                if name in names or kind == "VIEW":
                    what = "VIEW" if kind == "VIEW" else "TABLE"
                    con.execute(f"DROP {what} IF EXISTS {_quote(schema)}.{_quote(name)}")
            for table in tables:
                files = table_files(table)
                if not files:
                    continue
                con.execute(
                    f"CREATE VIEW {_quote(schema)}.{_quote(table.name)} AS SELECT * FROM "
                    f"{read_parquet_sql(files)}"
                )
                attached.append(f"{schema}.{table.name}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return attached
