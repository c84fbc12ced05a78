"""Quoting helpers for SQL built from contract names (identifiers and literals)."""

from __future__ import annotations

import duckdb


def ident(name: str) -> str:
    """A double-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"


def qualified(table: str) -> str:
    """``schema.table`` with both parts quoted."""
    schema, _, name = table.partition(".")
    return f"{ident(schema)}.{ident(name)}"


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The first column of the first row, or None."""
    row = con.execute(sql, params or []).fetchone()
    return None if row is None else row[0]


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.name`` exists as a table or view."""
    schema, _, name = table.partition(".")
    return bool(
        scalar(
            con,
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        )
    )
