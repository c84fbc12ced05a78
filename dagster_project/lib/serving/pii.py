"""Personal data in published tables: which columns hold it (from dbt) and how to hide it.

PII columns are tagged in the dbt YAML, on the column::

    - name: email
      config:
        meta:
          pii: email        # or: name (anything else is masked generically)

and the publishers read dbt's manifest (``dbt/target/manifest.json``, see ``catalog.py``), so a
newly tagged column is covered without touching Python. Modes (``RJW_PII_MODE`` for PostgreSQL,
``RJW_SNAPSHOT_PII`` for the analysts' DuckDB snapshot):

- ``hash``: ``sha256(salt || value)`` as 64 hex characters. The same value gives the same hash in
  every table, so joins and distinct counts still work; the salt (``RJW_PII_SALT``) keeps anyone
  from hashing a list of known emails to find them.
- ``mask``: readable but not identifying: ``j***@example.com``, ``J***``.
- ``none``: published as is.

The SQL is DuckDB's: both publishers select from DuckDB, so the values are transformed before they
leave the warehouse. The salt travels as a DuckDB variable, never inside SQL text or logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import duckdb

MODES = ("hash", "mask", "none")
SALT_VARIABLE = "rjw_pii_salt"
# Column names that usually hold personal data: reported when such a column is not tagged.
_SUSPECT = re.compile(r"(e_?mail|first_?name|last_?name|full_?name|phone|address)", re.I)
_NOT_SUSPECT = re.compile(r"(^(is|has)_|(_domain|_count|_rule|_type|_id|_key)$)", re.I)


def parse_mode(value: str | None, env: str, default: str) -> str:
    """``hash``, ``mask`` or ``none`` from an environment value; empty means ``default``."""
    mode = (value or "").strip().lower() or default
    if mode not in MODES:
        raise ValueError(f"{env}={value!r}: expected one of {', '.join(MODES)}")
    return mode


def column_expression(column: str, kind: str | None, mode: str) -> str:
    """The DuckDB select expression publishing ``column`` (quoted) under ``mode``."""
    ident = quote(column)
    if kind is None or mode == "none":
        return ident
    if mode == "hash":
        return (
            f"case when {ident} is null then null "
            f"else sha256(getvariable('{SALT_VARIABLE}') || cast({ident} as varchar)) end "
            f"as {ident}"
        )
    if kind == "email":
        # keep the first character and the domain: j***@example.com
        return (
            f"case when {ident} is null then null "
            f"when cast({ident} as varchar) like '%@%' then regexp_replace("
            f"cast({ident} as varchar), '^(.)[^@]*', '\\1***') "
            f"else '***' end as {ident}"
        )
    return (
        f"case when {ident} is null then null "
        f"else left(cast({ident} as varchar), 1) || '***' end as {ident}"
    )


def select_sql(source: str, columns: list[str], pii: Mapping[str, str], mode: str) -> str:
    """``select <columns, PII transformed> from <source>`` for one table."""
    exprs = [column_expression(c, pii.get(c.lower()), mode) for c in columns]
    return f"select {', '.join(exprs)} from {source}"


def set_salt(con: duckdb.DuckDBPyConnection, salt: str) -> None:
    """Make the salt available to the hash expressions of this connection."""
    con.execute(f"set variable {SALT_VARIABLE} = ?", [salt])


def untagged_suspects(
    tables: Mapping[tuple[str, str], list[str]], pii: Mapping[tuple[str, str], dict]
) -> list[str]:
    """``schema.table.column`` names that look personal but carry no ``pii`` tag."""
    out = []
    for (schema, table), columns in sorted(tables.items()):
        tagged = pii.get((schema, table), {})
        for c in columns:
            if c.lower() not in tagged and _SUSPECT.search(c) and not _NOT_SUSPECT.search(c):
                out.append(f"{schema}.{table}.{c}")
    return out


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (DuckDB and PostgreSQL agree on the syntax)."""
    return '"' + identifier.replace('"', '""') + '"'
