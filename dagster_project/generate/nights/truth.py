"""The ground truth kept in step with the nights: its tables grow, its summary lists them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# the tables ``generate.exports.truth`` writes
TRUTH_TABLES = ("persons", "records", "opportunities", "customers", "touches", "malformed")


@dataclass
class TruthTables:
    """The truth tables of ``generate.exports.truth`` in memory, appended to by each night."""

    tables: dict[str, pd.DataFrame]

    @classmethod
    def read(cls, truth: Path) -> TruthTables:
        with duckdb.connect() as con:
            return cls(
                {
                    name: con.execute(
                        "select * from read_parquet(?)", [str(truth / f"{name}.parquet")]
                    ).df()
                    for name in TRUTH_TABLES
                }
            )

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def append(self, name: str, rows: pd.DataFrame) -> None:
        """Add ``rows`` (the table's columns; missing ones stay empty)."""
        if rows.empty:
            return
        table = self.tables[name]
        rows = rows.reindex(columns=table.columns)
        self.tables[name] = pd.concat([table, rows.astype(table.dtypes)], ignore_index=True)

    def person_of(self, obj: str) -> pd.Series:
        """The true person id of every record of ``obj`` (leads, contacts, ...), by record id."""
        records = self.tables["records"]
        of_object = records[records.object == obj]
        return pd.Series(of_object.person_id.to_numpy(), index=of_object.record_id.to_numpy())

    def mark_won(self, opportunity_ids) -> None:
        opportunities = self.tables["opportunities"]
        won = opportunities.opportunity_id.isin(list(opportunity_ids))
        self.tables["opportunities"] = opportunities.assign(is_won=opportunities.is_won | won)

    def write(self, truth: Path) -> dict[str, int]:
        """Rewrite every table (Parquet, as the base world writes it); returns the row counts."""
        with duckdb.connect() as con:
            for name, table in self.tables.items():
                con.register("frame", table)
                con.execute(
                    f"copy (select * from frame) to '{truth / name}.parquet' (format parquet)"
                )
                con.unregister("frame")
        return {name: len(table) for name, table in self.tables.items()}


def read_summary(truth: Path) -> dict:
    path = Path(truth) / "summary.json"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: nights continue a generated world (run `rjw generate` first)"
        )
    return json.loads(path.read_text())


def write_summary(truth: Path, summary: dict) -> None:
    (Path(truth) / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
