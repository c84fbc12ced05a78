"""Renders the dbt source declarations from the landing contracts.

The contracts are the one definition of the raw tables; the dbt ``_<system>__sources.yml`` files
are generated from them so dbt documents and tests exactly what the loader writes. A column's
value set becomes its meta ``accepted_values``, which the generic dbt test
``accepted_contract_values`` (``dbt/macros/accepted_contract_values.sql``) reads to test the staged
column. Regenerate after changing a contract (a test fails while they disagree):

    python -m dagster_project.lib.landing.dbt_sources
"""

from __future__ import annotations

from pathlib import Path

import yaml

from dagster_project.lib.landing.contracts import (
    LINEAGE_COLUMNS,
    SYSTEMS,
    Column,
    contracts_for,
)
from dagster_project.lib.paths import DBT_PROJECT_DIR

LINEAGE_DOCS = {
    "_extra": "Columns or keys the contract does not know, as a JSON object (never dropped).",
    "_source_uri": "Landing file (relative to the landing root) or API URI the row came from.",
    "_source_line": "Position of the record in its source file.",
    "_load_id": "Load that wrote the row (raw_meta.load_manifest.load_id).",
    "_source_seq": "Export order of the source: the export time in its file name (epoch seconds, "
    "`<object>_<YYYYMMDDTHHMMSSZ>_<full|delta>.<ext>`), else the load id of its first load (kept "
    "when a changed file is reloaded); orders versions when a record has no updated-at.",
    "_loaded_at": "When the row was loaded.",
}
HEADER = "# Generated from dagster_project/lib/landing/contracts.py: do not edit by hand.\n"


def _column(col: Column) -> dict:
    doc = {"name": col.name, "description": col.description, "data_type": col.type.lower()}
    if col.values is not None:
        doc["config"] = {"meta": {"accepted_values": list(col.values)}}
    return doc


def sources_yaml(system: str) -> str:
    tables = []
    for c in contracts_for(system):
        columns = [_column(col) for col in c.columns]
        columns += [
            {"name": n, "description": LINEAGE_DOCS[n], "data_type": t.lower()}
            for n, t in LINEAGE_COLUMNS.items()
        ]
        tables.append(
            {
                "name": c.object,
                "description": f"{c.description} Landing folder `{c.folder}/` ({c.format}); "
                f"primary key {', '.join(c.primary_key)}; versions ordered by "
                f"{c.updated_at or 'load order'}. Raw rows keep every version.",
                "meta": {"primary_key": list(c.primary_key), "updated_at": c.updated_at},
                "columns": columns,
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": system,
                "description": f"Raw {system} data landed by the Dagster extract assets.",
                "schema": contracts_for(system)[0].schema,
                "tables": tables,
            }
        ],
    }
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=100, allow_unicode=True)


def sources_path(system: str) -> Path:
    return DBT_PROJECT_DIR / "models" / "staging" / system / f"_{system}__sources.yml"


def main() -> None:
    for system in SYSTEMS:
        path = sources_path(system)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sources_yaml(system))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
