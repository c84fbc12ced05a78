"""Renders frames into contract-shaped landing files, with the dirt real exports have.

Formatting runs inside DuckDB (``COPY ... TO``), so tens of millions of rows are written without
Python loops. Every random choice comes from the writer's own seeded stream, in call order.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib.landing.contracts import Contract

# UTC offsets (minutes) the exporting tools use: mostly UTC, some local times
OFFSETS = np.array([0, -300, -480, 60, 120, 330])
OFFSET_SHARES = np.array([0.7, 0.1, 0.05, 0.07, 0.05, 0.03])
BAD_TIMESTAMP = "31/02/2026 25:61"
# the objects whose full exports get a few malformed rows appended
MALFORMED_OBJECTS = {
    "leads",
    "form_submissions",
    "email_events",
    "tasks",
    "google_ads_clicks",
    "meta_ads_clicks",
    "charges",
}
MALFORMED_KINDS = ("bad_value", "extra_field", "missing_field")


@dataclass(frozen=True)
class ExportParts:
    """File-name parts of the two export runs: the nightly full export and an afternoon delta."""

    full: str
    delta: str


def _sql_timestamp(column: str, style: str) -> str:
    """SQL rendering a UTC timestamp column in the local time of the row's ``_off`` minutes."""
    local = f"({column} + to_minutes(_off::bigint))"
    sign = "case when _off < 0 then '-' else '+' end"
    hours = "lpad((abs(_off) // 60)::varchar, 2, '0')"
    minutes = "lpad((abs(_off) % 60)::varchar, 2, '0')"
    if style == "salesforce":  # 2026-01-05T10:00:00.000+0000
        return f"strftime({local}, '%Y-%m-%dT%H:%M:%S.000') || {sign} || {hours} || {minutes}"
    # ISO-8601 as web tools write it: Z for UTC, +hh:mm otherwise
    return (
        f"strftime({local}, '%Y-%m-%dT%H:%M:%S') || case when _off = 0 then 'Z' "
        f"else {sign} || {hours} || ':' || {minutes} end"
    )


def _sql_value(contract: Contract, column_type: str, quoted: str, ts_style: str) -> str:
    """SQL rendering one column as the contract's file format writes its type."""
    if column_type == "TIMESTAMPTZ":
        return _sql_timestamp(f"{quoted}::timestamp", ts_style)
    if column_type == "DATE":
        return f"strftime({quoted}::timestamp, '%Y-%m-%d')"
    if column_type.startswith("DECIMAL"):
        return (
            f"printf('%.2f', {quoted}::double)" if contract.format == "csv" else f"{quoted}::double"
        )
    if column_type in ("BIGINT", "INTEGER"):
        return f"{quoted}::bigint"
    if column_type == "JSON":
        return f"json({quoted})"
    if column_type == "BOOLEAN":
        return f"{quoted}::boolean"
    return f"{quoted}::varchar"


class Writer:
    """Renders frames to contract-shaped files through one in-memory DuckDB connection; keeps
    the list of files written and of the malformed rows appended. Malformed rows go into the
    files whose part ends with one of ``malformed_parts`` (the full exports; the nightly deltas
    of ``generate.nights`` pass their own)."""

    def __init__(
        self,
        landing: Path,
        rng: np.random.Generator,
        malformed_rate: float,
        malformed_parts: tuple[str, ...] = ("full",),
    ):
        self.landing, self.rng, self.malformed_rate = landing, rng, malformed_rate
        self.malformed_parts = malformed_parts
        self.con = duckdb.connect()
        self.con.execute("set timezone='UTC'")
        self.malformed: list[dict] = []
        self.files: list[dict] = []

    def _select(self, contract: Contract, frame: pd.DataFrame, ts_style: str) -> str:
        expressions = []
        for column in contract.columns:
            quoted = f'"{column.name}"'
            if column.name not in frame.columns:
                raise KeyError(f"generator frame for {contract.table} lacks column {column.name}")
            value = _sql_value(contract, column.type, quoted, ts_style)
            expressions.append(f"{value} as {quoted}")
        return "select " + ", ".join(expressions) + " from frame"

    def write(
        self,
        contract: Contract,
        frame: pd.DataFrame,
        part: str,
        *,
        ts_style: str = "salesforce",
        pk: str | None = None,
        string_numbers: bool = False,
    ) -> Path | None:
        """Write ``frame`` as one landing file of ``contract``; maybe append a few malformed rows.

        A frame may carry its rows' UTC offsets in ``_off`` (minutes); else they are drawn.
        Nothing to export writes no file (None), as the exporting tools do."""
        frame = frame.reset_index(drop=True)
        if frame.empty:
            return None
        if "_off" not in frame.columns:
            frame["_off"] = self.rng.choice(OFFSETS, len(frame), p=OFFSET_SHARES)
        bad = pd.DataFrame()
        if (
            self.malformed_rate > 0
            and contract.object in MALFORMED_OBJECTS
            and len(frame) > 20
            and part.endswith(self.malformed_parts)
        ):
            n_bad = max(1, int(round(len(frame) * self.malformed_rate)))
            pick = np.sort(self.rng.choice(len(frame), n_bad, replace=False))
            bad, frame = frame.iloc[pick], frame.drop(index=pick)
        folder = self.landing / contract.folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{contract.object}_{part}{contract.extensions[0]}"
        sql = self._select(contract, frame, ts_style)
        if string_numbers:  # the Meta Graph API returns numbers as strings
            sql = sql.replace("::bigint", "::bigint::varchar").replace("::double", "::varchar")
        self.con.register("frame", frame)
        file_format = "(header, delimiter ',')" if contract.format == "csv" else "(format json)"
        self.con.execute(f"copy ({sql}) to '{path}' {file_format}")
        self.con.unregister("frame")
        if len(bad):
            self._append_malformed(contract, bad, path, ts_style, pk or contract.primary_key[0])
        self.files.append(
            {"file": str(path.relative_to(self.landing)), "rows": len(frame) + len(bad)}
        )
        return path

    def _append_malformed(
        self, contract: Contract, bad: pd.DataFrame, path: Path, ts_style: str, pk: str
    ) -> None:
        """Append rows broken the way real exports break: bad value, extra or missing field
        (CSV); bad value or truncated line (JSON)."""
        self.con.register("frame", bad.reset_index(drop=True))
        select = self._select(contract, bad, ts_style)
        if contract.format == "csv":
            rows = self.con.execute(select).fetchall()
        else:
            rows = [
                line
                for (line,) in self.con.execute(
                    f"select to_json(t)::varchar from ({select}) t"
                ).fetchall()
            ]
        self.con.unregister("frame")
        ts_position = next(
            position
            for position, column in enumerate(contract.columns)
            if column.type in ("TIMESTAMPTZ", "BIGINT")
        )
        buffer = io.StringIO()
        csv_out = csv.writer(buffer, lineterminator="\n")
        for number, row in enumerate(rows):
            kind = MALFORMED_KINDS[number % len(MALFORMED_KINDS)]
            if contract.format == "csv":
                values = ["" if value is None else value for value in row]
                if kind == "bad_value":
                    values[ts_position] = BAD_TIMESTAMP
                elif kind == "extra_field":
                    values.append("UNEXPECTED")
                else:
                    values = values[:-1]
                csv_out.writerow(values)
                record_id = row[contract.column_names.index(pk)]
            else:
                record = json.loads(row)
                record_id = record[pk]
                if kind == "bad_value":
                    record[contract.columns[ts_position].name] = "yesterday"
                    buffer.write(json.dumps(record) + "\n")
                else:
                    kind = "truncated_json"
                    text = json.dumps(record)
                    buffer.write(text[: len(text) // 2] + "\n")
            self.malformed.append(
                {
                    "object": contract.object,
                    "record_id": record_id,
                    "kind": kind,
                    "file": str(path.relative_to(self.landing)),
                }
            )
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(buffer.getvalue())


def dirty_email(emails: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mixed case and stray whitespace, as people type and tools store emails."""
    email = pd.Series(emails, dtype=object)
    draw = rng.random(len(email))
    email = email.where(~(draw < 0.05), email.str.upper())
    email = email.where(~((draw >= 0.05) & (draw < 0.15)), email.str.capitalize())
    email = email.where(~((draw >= 0.15) & (draw < 0.22)), " " + email + " ")
    email = email.where(~((draw >= 0.22) & (draw < 0.25)), email + " ")
    return email.to_numpy()


def blank(values, rng: np.random.Generator, share: float) -> np.ndarray:
    """Missing optional fields: ``share`` of the values become None."""
    series = pd.Series(values, dtype=object)
    return series.where(rng.random(len(series)) >= share, None).to_numpy()
