"""The source systems' state behind the stand-in APIs: the generated sample world as Salesforce,
Stripe and the ad platforms would hold it.

The generator writes the world as export files; ``SampleWorld.from_landing`` reads them with the
warehouse's own loader into a private in-memory DuckDB and keeps, per object, the current version
of every record (the version the warehouse's staging would keep: the newest ``updated_at``, then
the latest export). Those are the records a source system holds. Exports carry a few records
broken the way files break (a bad timestamp, a cut line): a typed API cannot hold a malformed
Salesforce date, so those CRM lines are not served; a Stripe record with a wrong-typed value is
served as the JSON it is (an API may send a surprising type), a cut JSON line is not.

Tests change the world between two nights (``upsert``: a new or changed record; for Stripe also
an event, as Stripe records one for every change).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.connectors.registry import API_OBJECTS
from dagster_project.lib.landing.contracts import LINEAGE_COLUMNS, Contract, get_contract
from dagster_project.lib.landing.loader import load_object


@dataclass
class SampleWorld:
    """Current records per contract object (``records[object]``: dicts in contract names, with
    the keys an export carried beyond the contract) and Stripe's event log."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    modified_at: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_landing(cls, landing: Path) -> SampleWorld:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        world = cls()
        for system, objects in API_OBJECTS.items():
            for obj in objects:
                contract = get_contract(system, obj)
                load_object(con, contract, Path(landing))
                world.records[obj] = _current_records(con, contract)
        world.records["charges"].extend(_served_rejects(con, "raw_billing.charges"))
        con.close()
        return world

    def upsert(
        self, obj: str, record: dict[str, Any], key: str = "id", event_type: str | None = None
    ) -> None:
        """Add or replace a record (by ``key``); with ``event_type`` also log a Stripe event."""
        with self.lock:
            rows = self.records[obj]
            for i, row in enumerate(rows):
                if row.get(key) == record[key]:
                    rows[i] = record
                    break
            else:
                rows.append(record)
            self.modified_at.setdefault(obj, {})[str(record[key])] = time.time()
            if event_type:
                self.events.append(
                    {
                        "id": f"evt_{len(self.events) + 1:024d}",
                        "object": "event",
                        "api_version": "2025-03-31.basil",
                        "created": int(time.time()),
                        "type": event_type,
                        "livemode": False,
                        "pending_webhooks": 0,
                        "request": {"id": None, "idempotency_key": None},
                        "data": {"object": json.loads(json.dumps(record))},
                    }
                )


def _current_records(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[dict[str, Any]]:
    order = "_source_seq DESC, _source_line DESC"
    if contract.updated_at:
        order = f'"{contract.updated_at}" DESC NULLS LAST, {order}'
    keys = ", ".join(f'"{k}"' for k in contract.primary_key)
    columns = [c.name for c in contract.columns]
    select = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(
        f"SELECT {select}, _extra::VARCHAR FROM {contract.table} "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1 "
        f"ORDER BY {keys}"
    ).fetchall()
    out = []
    json_columns = {c.name for c in contract.columns if c.type == "JSON"}
    for row in rows:
        record = {}
        for name, value in zip(columns, row[:-1], strict=True):
            record[name] = json.loads(value) if name in json_columns and value else value
        if row[-1]:
            record.update(json.loads(row[-1]))
        out.append(record)
    return out


def _served_rejects(con: duckdb.DuckDBPyConnection, table: str) -> list[dict[str, Any]]:
    """Rejected JSON lines that are whole objects (a wrong-typed value), as the API sends them."""
    lines = con.execute(
        "SELECT DISTINCT raw_record FROM raw_meta.load_rejects WHERE table_name = ? "
        "AND error_type = 'CAST'",
        [table],
    ).fetchall()
    out = []
    for (line,) in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and not set(record) & set(LINEAGE_COLUMNS):
            out.append(record)
    return out
