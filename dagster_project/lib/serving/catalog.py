"""What is served, read from the warehouse and from dbt's manifest.

The served schemas are the ones analysts and BI tools read: the dbt marts, the data-driven
attribution table a Python asset writes, and the seeds (lookups such as the channel taxonomy).
dbt's manifest says which columns are personal (``meta.pii``), what every table and column means
(descriptions, copied into the published copies as comments) and which Dagster assets write the
served tables (so the publishers run after every one of them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SERVED_SCHEMAS = ("marts", "attribution", "seeds")
# Written by the publishers themselves: one row per served table of the publish.
MANIFEST_SCHEMA = "serving"
MANIFEST_TABLE = f"{MANIFEST_SCHEMA}.manifest"


@dataclass(frozen=True)
class ServedTable:
    """One table of a served schema with its columns (name, DuckDB type) in order."""

    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class DbtCatalog:
    """Per ``(schema, table)``: PII columns (column -> kind), descriptions, and every dbt node of
    the served schemas (for the asset dependencies)."""

    pii: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    table_docs: dict[tuple[str, str], str] = field(default_factory=dict)
    column_docs: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    nodes: list[dict] = field(default_factory=list)


def served_tables(
    con: duckdb.DuckDBPyConnection, schemas: Iterable[str] = SERVED_SCHEMAS
) -> list[ServedTable]:
    """Tables and views of ``schemas`` in the connection's current database, in a stable order."""
    schemas = list(schemas)
    rows = con.execute(
        """
        select table_schema, table_name, column_name, data_type
        from information_schema.columns
        where table_catalog = current_database()
          and table_schema in (select unnest(?::varchar[]))
        order by table_schema, table_name, ordinal_position
        """,
        [schemas],
    ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        tables.setdefault((schema, table), []).append((column, dtype))
    return [ServedTable(s, t, tuple(cols)) for (s, t), cols in sorted(tables.items())]


def read_catalog(manifest_path: Path, schemas: Iterable[str] = SERVED_SCHEMAS) -> DbtCatalog:
    """PII tags, descriptions and nodes of the dbt models, seeds, snapshots and sources that live
    in ``schemas``.

    Fails when the manifest is missing or unreadable: publishing without knowing which columns
    are personal would leak them."""
    try:
        manifest = json.loads(Path(manifest_path).read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(
            f"cannot read the dbt manifest {manifest_path} (needed to find PII columns): {exc}"
        ) from exc
    wanted = {s.lower() for s in schemas}
    catalog = DbtCatalog()
    nodes = [
        *(
            n
            for n in manifest.get("nodes", {}).values()
            if n.get("resource_type") in {"model", "seed", "snapshot"}
        ),
        *manifest.get("sources", {}).values(),
    ]
    for node in nodes:
        schema = (node.get("schema") or "").lower()
        if schema not in wanted:
            continue
        catalog.nodes.append(node)
        table = (node.get("identifier") or node.get("alias") or node["name"]).lower()
        if node.get("description"):
            catalog.table_docs[(schema, table)] = node["description"]
        for name, column in (node.get("columns") or {}).items():
            # dbt 1.10+ puts column meta under config; older projects set it on the column
            meta = {
                **(column.get("meta") or {}),
                **((column.get("config") or {}).get("meta") or {}),
            }
            if meta.get("pii"):
                catalog.pii.setdefault((schema, table), {})[name.lower()] = str(meta["pii"]).lower()
            if column.get("description"):
                catalog.column_docs.setdefault((schema, table), {})[name.lower()] = column[
                    "description"
                ]
    return catalog
