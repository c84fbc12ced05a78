"""Publishes the served schemas to PostgreSQL for BI tools, swapped in by one transaction.

Most BI tools speak PostgreSQL, not DuckDB. When ``RJW_POSTGRES_DSN`` is set, every run copies
the served schemas (marts, attribution, seeds, and the ``serving.manifest`` of the publish) from
the warehouse into PostgreSQL:

1. One transaction creates ``rjw_next_<schema>`` schemas, creates each table with PostgreSQL
   types (``pg_type``), and bulk-loads it with ``COPY ... FROM STDIN`` from a CSV file DuckDB
   writes (personal columns hashed or masked on the way out, see pii.py), then ``ANALYZE``.
2. In the same transaction, each live schema is renamed to ``rjw_old_<schema>_<stamp>`` (its
   grants revoked) and ``rjw_next_<schema>`` renamed to ``<schema>``; the read-only role gets
   USAGE on the schema and SELECT on its tables; commit. Renaming a schema does not wait for
   readers, and a reader's next statement resolves the new tables, so BI sees the old complete
   schema or the new complete one, never a mix. A failure anywhere rolls everything back.
3. After the commit, the old schemas are dropped with a lock timeout: a BI session still reading
   them keeps its tables, and whatever could not be dropped is dropped by the next publish.

The read-only role (``RJW_POSTGRES_READER_ROLE``, default ``rjw_reader``) is created NOLOGIN, as a
group role to grant to BI users, unless ``RJW_POSTGRES_READER_PASSWORD`` is set, which makes it a
LOGIN role with that password (sent as a SCRAM verifier, never in clear). Its sessions default to
read-only transactions and a search path of the served schemas. The publisher's login needs
CREATE on the database and CREATEROLE (or an existing reader role it may grant to).
"""

import contextlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from dagster_project.lib.serving import pii as pii_sql
from dagster_project.lib.serving.catalog import (
    MANIFEST_SCHEMA,
    SERVED_SCHEMAS,
    DbtCatalog,
    ServedTable,
    served_tables,
)

NEXT_PREFIX = "rjw_next_"
OLD_PREFIX = "rjw_old_"

_SIMPLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(39, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "UHUGEINT": "numeric(39, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIME WITH TIME ZONE": "time with time zone",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "JSON": "jsonb",
    "BLOB": "bytea",
    "BIT": "bit varying",
}


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL type a DuckDB column is published as (nested types become jsonb, anything
    unknown text)."""
    t = duckdb_type.strip().upper()
    if t.startswith(("DECIMAL", "NUMERIC")):
        return t.replace("DECIMAL", "numeric").replace("NUMERIC", "numeric")
    if t in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[t]
    if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")):
        return "jsonb"
    return "text"  # ENUM and anything newer: its text form


def export_expression(column: str, duckdb_type: str, pii_kind: str | None, mode: str) -> str:
    """The DuckDB select expression whose CSV text PostgreSQL parses as ``pg_type``."""
    if pii_kind is not None and mode != "none":
        return pii_sql.column_expression(column, pii_kind, mode)
    ident = pii_sql.quote(column)
    target = pg_type(duckdb_type)
    if target == "jsonb":
        return f"cast(to_json({ident}) as varchar) as {ident}"
    if target == "bytea":
        return f"'\\x' || hex({ident}) as {ident}"
    if target == "text" and duckdb_type.strip().upper() != "VARCHAR":
        return f"cast({ident} as varchar) as {ident}"
    return ident


def published_type(duckdb_type: str, pii_kind: str | None, mode: str) -> str:
    """The PostgreSQL column type: text for a hashed or masked column, else ``pg_type``."""
    if pii_kind is not None and mode != "none":
        return "text"
    return pg_type(duckdb_type)


def describe_dsn(dsn: str) -> str:
    """``host:port/dbname`` of a connection string, without user or password (for logs)."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparsable DSN)"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def _ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)


def _cleanup_old(pg: psycopg.Connection, lock_timeout: float) -> tuple[list[str], list[str]]:
    """Drop schemas retired by earlier publishes; one still in use is left for next time."""
    dropped, kept = [], []
    names = [
        r[0]
        for r in pg.execute(
            "select nspname from pg_namespace where nspname like %s order by 1",
            [OLD_PREFIX.replace("_", r"\_") + "%"],
        ).fetchall()
    ]
    for name in names:
        try:
            with pg.transaction():
                pg.execute(f"set local lock_timeout = {int(lock_timeout * 1000)}")
                pg.execute(sql.SQL("drop schema {} cascade").format(_ident(name)))
            dropped.append(name)
        except psycopg.errors.LockNotAvailable:
            kept.append(name)
    return dropped, kept


def _load_table(
    duck: duckdb.DuckDBPyConnection,
    pg: psycopg.Connection,
    table: ServedTable,
    target_schema: str,
    pii: dict[str, str],
    mode: str,
    workdir: Path,
    source_db: str,
) -> int:
    """Create ``target_schema.<table>`` and COPY the table's rows into it; returns rows loaded."""
    columns = [
        (name, published_type(dtype, pii.get(name.lower()), mode)) for name, dtype in table.columns
    ]
    pg.execute(
        sql.SQL("create table {} ({})").format(
            _ident(target_schema, table.name),
            sql.SQL(", ").join(
                sql.SQL("{} {}").format(_ident(name), sql.SQL(pgtype)) for name, pgtype in columns
            ),
        )
    )
    exprs = [export_expression(c, t, pii.get(c.lower()), mode) for c, t in table.columns]
    source = ".".join(pii_sql.quote(p) for p in (source_db, table.schema, table.name))
    csv = workdir / f"{table.schema}.{table.name}.csv"
    target = "'" + str(csv).replace("'", "''") + "'"
    duck.execute(
        f"copy (select {', '.join(exprs)} from {source}) to {target} (format csv, header false)"
    )
    copy_sql = sql.SQL("copy {} ({}) from stdin (format csv)").format(
        _ident(target_schema, table.name),
        sql.SQL(", ").join(_ident(c) for c, _ in columns),
    )
    try:
        with pg.cursor() as cur, cur.copy(copy_sql) as copy, open(csv, "rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    except psycopg.Error as exc:  # name the table: PostgreSQL only names the line
        raise RuntimeError(f"loading {table.qualified} into PostgreSQL failed: {exc}") from exc
    csv.unlink()
    rows = pg.execute(
        sql.SQL("select count(*) from {}").format(_ident(target_schema, table.name))
    ).fetchone()[0]
    pg.execute(sql.SQL("analyze {}").format(_ident(target_schema, table.name)))
    return rows


def _comment(pg: psycopg.Connection, catalog: DbtCatalog, table: ServedTable, schema: str) -> None:
    key = (table.schema, table.name)
    if key in catalog.table_docs:
        pg.execute(
            sql.SQL("comment on table {} is {}").format(
                _ident(schema, table.name), sql.Literal(catalog.table_docs[key])
            )
        )
    names = {c.lower(): c for c, _ in table.columns}
    for column, doc in catalog.column_docs.get(key, {}).items():
        if column in names:
            pg.execute(
                sql.SQL("comment on column {} is {}").format(
                    _ident(schema, table.name, names[column]), sql.Literal(doc)
                )
            )


def _ensure_reader(pg: psycopg.Connection, role: str, password: str | None) -> bool:
    """Create the read-only role if missing; returns whether it can log in."""
    exists = pg.execute("select 1 from pg_roles where rolname = %s", [role]).fetchone()
    if not exists:
        pg.execute(sql.SQL("create role {} nologin").format(_ident(role)))
    if password:
        # the server receives a SCRAM verifier, never the password itself
        verifier = pg.pgconn.encrypt_password(
            password.encode(), role.encode(), b"scram-sha-256"
        ).decode()
        pg.execute(
            sql.SQL("alter role {} login password {}").format(_ident(role), sql.Literal(verifier))
        )
    database = _ident(pg.execute("select current_database()").fetchone()[0])
    # conveniences a publisher without the privilege may skip (PUBLIC can connect by default)
    for statement in (
        sql.SQL("grant connect on database {} to {}").format(database, _ident(role)),
        sql.SQL("alter role {} in database {} set default_transaction_read_only = on").format(
            _ident(role), database
        ),
        sql.SQL("alter role {} in database {} set search_path = {}").format(
            _ident(role), database, sql.SQL(", ").join(_ident(s) for s in SERVED_SCHEMAS)
        ),
    ):
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege), pg.transaction():
            pg.execute(statement)
    row = pg.execute("select rolcanlogin from pg_roles where rolname = %s", [role]).fetchone()
    return bool(row[0])


def publish_postgres(
    duck: duckdb.DuckDBPyConnection,
    dsn: str,
    *,
    run_id: str,
    source_warehouse: str,
    catalog: DbtCatalog,
    reader_role: str = "rjw_reader",
    reader_password: str | None = None,
    pii_mode: str = "hash",
    pii_salt: str = "",
    lock_timeout_seconds: float = 30.0,
) -> dict:
    """Publish the served schemas of the warehouse behind ``duck`` to the database at ``dsn``;
    returns rows per table, timings and what was cleaned up."""
    t0 = time.perf_counter()
    tables = served_tables(duck)
    if not any(t.schema == "marts" for t in tables):
        raise RuntimeError(f"the warehouse {source_warehouse} has no marts tables to publish")
    source_db = duck.execute("select current_database()").fetchone()[0]
    pii_sql.set_salt(duck, pii_salt)
    duck.execute("set TimeZone = 'UTC'")  # timestamptz text in UTC
    schemas = sorted({t.schema for t in tables} | {MANIFEST_SCHEMA})
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    counts: dict[str, int] = {}
    with (
        psycopg.connect(
            dsn, autocommit=True, application_name="rjw-publisher", connect_timeout=15
        ) as pg,
        tempfile.TemporaryDirectory(prefix="rjw-pg-") as workdir,
    ):
        dropped_before, _ = _cleanup_old(pg, lock_timeout_seconds)
        with pg.transaction():
            pg.execute(f"set local lock_timeout = {int(lock_timeout_seconds * 1000)}")
            for schema in schemas:
                # a leftover can only come from a publisher that is still running: fail on it
                pg.execute(sql.SQL("create schema {}").format(_ident(NEXT_PREFIX + schema)))
            for table in tables:
                counts[table.qualified] = _load_table(
                    duck,
                    pg,
                    table,
                    NEXT_PREFIX + table.schema,
                    catalog.pii.get((table.schema, table.name), {}),
                    pii_mode,
                    Path(workdir),
                    source_db,
                )
                _comment(pg, catalog, table, NEXT_PREFIX + table.schema)
            published_at = datetime.now(UTC)
            manifest = _ident(NEXT_PREFIX + MANIFEST_SCHEMA, "manifest")
            pg.execute(
                sql.SQL(
                    "create table {} (published_at timestamptz, run_id text, "
                    "source_warehouse text, pii_mode text, schema_name text, table_name text, "
                    "row_count bigint)"
                ).format(manifest)
            )
            with pg.cursor() as cur:
                cur.executemany(
                    sql.SQL("insert into {} values (%s, %s, %s, %s, %s, %s, %s)").format(manifest),
                    [
                        [published_at, run_id, source_warehouse, pii_mode, *q.split(".", 1), n]
                        for q, n in counts.items()
                    ],
                )
            can_login = _ensure_reader(pg, reader_role, reader_password)
            retired = []
            t_swap = time.perf_counter()
            for schema in schemas:
                live = pg.execute(
                    "select 1 from pg_namespace where nspname = %s", [schema]
                ).fetchone()
                if live:
                    old = f"{OLD_PREFIX}{schema}_{stamp}"
                    pg.execute(
                        sql.SQL("alter schema {} rename to {}").format(_ident(schema), _ident(old))
                    )
                    pg.execute(
                        sql.SQL("revoke all on schema {} from {}").format(
                            _ident(old), _ident(reader_role)
                        )
                    )
                    retired.append(old)
                pg.execute(
                    sql.SQL("alter schema {} rename to {}").format(
                        _ident(NEXT_PREFIX + schema), _ident(schema)
                    )
                )
                pg.execute(
                    sql.SQL("grant usage on schema {} to {}").format(
                        _ident(schema), _ident(reader_role)
                    )
                )
                pg.execute(
                    sql.SQL("grant select on all tables in schema {} to {}").format(
                        _ident(schema), _ident(reader_role)
                    )
                )
                pg.execute(
                    sql.SQL("comment on schema {} is {}").format(
                        _ident(schema),
                        sql.Literal(f"Published by run {run_id} at {published_at.isoformat()}"),
                    )
                )
            swap_seconds = time.perf_counter() - t_swap
        dropped_after, kept = _cleanup_old(pg, lock_timeout_seconds)
    return {
        "published_at": published_at.isoformat(),
        "tables": counts,
        "schemas": schemas,
        "reader_role": reader_role,
        "reader_can_login": can_login,
        "retired_schemas": retired,
        "old_schemas_dropped": sorted(set(dropped_before + dropped_after)),
        "old_schemas_kept": kept,
        "swap_seconds": round(swap_seconds, 4),
        "seconds": round(time.perf_counter() - t0, 3),
    }
