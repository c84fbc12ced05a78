"""The quality suites: one reviewed YAML file per raw object, read into Great Expectations.

``suites/<system>/<object>.yml`` holds the Great Expectations (GX 1.x) expectations of one raw
table, grouped by the Dagster asset check they feed, each with a severity (``critical`` = ERROR,
blocks the marts; ``warning`` = WARN, shown only). See ``suites/README.md`` for the format. The
files are config kept under review, not generated per run; ``load_suites`` checks every file
against its landing contract so a typo in a column name fails at import, not at 3 a.m. Value sets
are not in the files: an ``expect_column_values_to_be_in_set`` takes the contract column's
``values`` (the one declaration the dbt tests of the staged columns read too).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from dagster_project.lib.env import number
from dagster_project.lib.landing.contracts import CONTRACTS, LINEAGE_COLUMNS, Contract

SUITES_DIR = Path(__file__).with_name("suites")

# The Dagster asset checks on every raw asset, in the order the UI and the report show them.
# The first four run the suite's GX expectations (plus the SQL checks of ``sql_checks``); the last
# two are SQL only.
GX_CHECKS = (
    "columns_and_types",
    "keys_unique_and_not_null",
    "accepted_values",
    "ranges_and_formats",
)
CHECKS = (*GX_CHECKS, "load_completeness", "freshness")
CHECK_DESCRIPTIONS = {
    "columns_and_types": "The raw table has the contract's columns and types; no column of a new "
    "file vanished or was renamed; required values are present.",
    "keys_unique_and_not_null": "Primary-key columns are never null; a key (with its version "
    "field) appears once per source file.",
    "accepted_values": "Statuses, stages, types and currencies are in the sets the sources and "
    "the marts know.",
    "ranges_and_formats": "Amounts and counts are not negative, dates are not in the future, "
    "ends come after starts, ids, emails and URLs have their shape.",
    "load_completeness": "New files were not truncated, few rows were rejected by the loader, "
    "and the row volume did not collapse against the previous load.",
    "freshness": "The newest record is not older than the configured age (WARN only).",
}

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning")

# Suite parameters the expectations may reference with {$PARAMETER: name}.
PARAMETERS = ("max_timestamp", "max_date", "max_epoch_seconds", "max_epoch_millis")
FUTURE_GRACE = timedelta(days=1)  # sources stamp dates in their local time zone

# Expectations whose value set comes from the contract column (``Column.values``), never the file.
VALUE_SET_TYPES = ("expect_column_values_to_be_in_set",)

# Expectation kwargs that name batch columns.
_COLUMN_KWARGS = ("column", "column_A", "column_B")
_COLUMN_LIST_KWARGS = ("column_list",)


class SuiteError(ValueError):
    """A suite file that does not fit its contract or the suite format."""


@dataclass(frozen=True)
class ExpectationSpec:
    """One reviewed expectation: Great Expectations' own ``type`` and ``kwargs`` plus the Dagster
    check it feeds and its severity."""

    check: str
    type: str
    kwargs: dict[str, Any]
    severity: Severity = "critical"
    notes: str | None = None

    @property
    def columns(self) -> list[str]:
        cols = [self.kwargs[k] for k in _COLUMN_KWARGS if k in self.kwargs]
        for k in _COLUMN_LIST_KWARGS:
            cols.extend(self.kwargs.get(k, []))
        return cols

    def to_gx(self):
        """The GX expectation (GX keeps ``meta`` and ``severity`` with its result)."""
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        return ExpectationConfiguration(
            type=self.type,
            kwargs=dict(self.kwargs),
            meta={"check": self.check},
            notes=self.notes,
            severity=self.severity,
        ).to_domain_obj()


@dataclass(frozen=True)
class Freshness:
    """How to read a raw table's newest record time, and the allowed age (None: the default)."""

    expression: str  # SQL over the raw table giving a timestamp
    max_age_hours: float | None = None


@dataclass(frozen=True)
class Suite:
    """The reviewed suite of one raw object (``suites/<system>/<object>.yml``)."""

    contract: Contract
    path: Path
    fingerprint: str  # sha256 of the file and its contract value sets: loads are re-validated
    # when either changes
    expectations: tuple[ExpectationSpec, ...]
    derived: dict[str, str] = field(default_factory=dict)  # batch column -> SQL expression
    freshness: Freshness | None = None

    @property
    def table(self) -> str:
        return self.contract.table

    def for_check(self, check: str) -> list[ExpectationSpec]:
        return [e for e in self.expectations if e.check == check]

    @property
    def batch_columns(self) -> list[str]:
        """Contract columns the expectations read, in contract order (derived ones apart)."""
        used = {c for e in self.expectations for c in e.columns}
        return [c for c in self.contract.column_names if c in used]

    def gx_suite(self):
        """A fresh GX ``ExpectationSuite`` named after the raw table."""
        import great_expectations as gx

        return gx.ExpectationSuite(
            name=self.table, expectations=[e.to_gx() for e in self.expectations]
        )


def _parse_expectation(raw: Any, check: str, where: str) -> ExpectationSpec:
    if not isinstance(raw, dict) or "type" not in raw or "kwargs" not in raw:
        raise SuiteError(f"{where}: every expectation needs 'type' and 'kwargs': {raw!r}")
    unknown = set(raw) - {"type", "kwargs", "severity", "notes"}
    if unknown:
        raise SuiteError(f"{where}: unknown expectation key(s) {sorted(unknown)}")
    severity = raw.get("severity", "critical")
    if severity not in SEVERITIES:
        raise SuiteError(f"{where}: severity {severity!r} is not one of {SEVERITIES}")
    return ExpectationSpec(
        check=check,
        type=str(raw["type"]),
        kwargs=dict(raw["kwargs"]),
        severity=severity,
        notes=" ".join(str(raw["notes"]).split()) if raw.get("notes") else None,
    )


def _with_contract_values(e: ExpectationSpec, contract: Contract, where: str) -> ExpectationSpec:
    """An in-set expectation with the value set of its contract column; a file that lists a value
    set itself is refused, so each set is declared once (``lib/landing/contracts.py``)."""
    if e.type not in VALUE_SET_TYPES:
        return e
    column = e.kwargs.get("column")
    if "value_set" in e.kwargs:
        raise SuiteError(
            f"{where}: {e.type} on {column!r} lists a value_set; value sets are declared once, "
            f"on the {contract.table} contract column (lib/landing/contracts.py)"
        )
    if column not in contract.column_names:
        return e  # _validate names the unknown column
    values = contract.column(column).values
    if values is None:
        raise SuiteError(
            f"{where}: {e.type} on {column!r}, but the {contract.table} contract declares no "
            "values for that column"
        )
    return replace(e, kwargs={**e.kwargs, "value_set": list(values)})


def _validate(suite: Suite) -> None:
    """Column names exist, parameters are known, every key column is covered."""
    known = set(suite.contract.column_names) | set(suite.derived) | set(LINEAGE_COLUMNS)
    for e in suite.expectations:
        for col in e.columns:
            if col not in known:
                raise SuiteError(
                    f"{suite.path}: {e.type} names column {col!r}, which is neither in the "
                    f"{suite.table} contract nor derived"
                )
        for value in e.kwargs.values():
            if (
                isinstance(value, dict)
                and "$PARAMETER" in value
                and value["$PARAMETER"] not in PARAMETERS
            ):
                raise SuiteError(
                    f"{suite.path}: unknown suite parameter {value['$PARAMETER']!r}; "
                    f"known: {', '.join(PARAMETERS)}"
                )
    not_null_keys = {
        e.kwargs["column"]
        for e in suite.for_check("keys_unique_and_not_null")
        if e.type == "expect_column_values_to_not_be_null" and e.severity == "critical"
    }
    missing = [k for k in suite.contract.primary_key if k not in not_null_keys]
    if missing:
        raise SuiteError(
            f"{suite.path}: key column(s) {', '.join(missing)} of {suite.table} need a critical "
            "expect_column_values_to_not_be_null under keys_unique_and_not_null"
        )


def load_suite(contract: Contract, path: Path | None = None) -> Suite:
    """Read and check the suite file of one contract."""
    path = path or SUITES_DIR / contract.system / f"{contract.object}.yml"
    if not path.exists():
        raise SuiteError(f"no quality suite for {contract.table}: expected {path}")
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text) or {}
    if doc.get("table") != contract.table:
        raise SuiteError(f"{path}: 'table' must be {contract.table!r}, not {doc.get('table')!r}")
    unknown = set(doc) - {"table", "derived", "freshness", "expectations"}
    if unknown:
        raise SuiteError(f"{path}: unknown top-level key(s) {sorted(unknown)}")
    groups = doc.get("expectations") or {}
    bad_groups = set(groups) - set(GX_CHECKS)
    if bad_groups:
        raise SuiteError(
            f"{path}: expectation group(s) {sorted(bad_groups)} are not checks; "
            f"use {', '.join(GX_CHECKS)}"
        )
    expectations = tuple(
        _with_contract_values(
            _parse_expectation(raw, check, f"{path} [{check}]"), contract, f"{path} [{check}]"
        )
        for check in GX_CHECKS
        for raw in (groups.get(check) or [])
    )
    value_sets = [e.kwargs for e in expectations if e.type in VALUE_SET_TYPES]
    fresh = doc.get("freshness")
    freshness = (
        Freshness(
            expression=" ".join(str(fresh["column"]).split()),
            max_age_hours=float(fresh["max_age_hours"]) if "max_age_hours" in fresh else None,
        )
        if fresh
        else None
    )
    derived = {str(k): " ".join(str(v).split()) for k, v in (doc.get("derived") or {}).items()}
    suite = Suite(
        contract=contract,
        path=path,
        fingerprint=hashlib.sha256(
            (text + json.dumps(value_sets, sort_keys=True, default=str)).encode()
        ).hexdigest(),
        expectations=expectations,
        derived=derived,
        freshness=freshness,
    )
    _validate(suite)
    return suite


@cache
def load_suites() -> dict[str, Suite]:
    """Every contract's suite by raw table name; fails when a contract has none."""
    return {c.table: load_suite(c) for c in CONTRACTS.values()}


# --------------------------------------------------------------------------------- settings
FRESHNESS_MAX_AGE_ENV = "RJW_FRESHNESS_MAX_AGE_HOURS"
FRESHNESS_AS_OF_ENV = "RJW_FRESHNESS_AS_OF"
REJECT_WARN_ENV = "RJW_QUALITY_REJECT_WARN_RATE"
REJECT_ERROR_ENV = "RJW_QUALITY_REJECT_ERROR_RATE"
VOLUME_DROP_ENV = "RJW_QUALITY_VOLUME_DROP"


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    return number(env, name, default, minimum=None)


@dataclass(frozen=True)
class Settings:
    """Thresholds of the SQL checks (defaults for the embedded setup); ``from_env`` is their one
    parser, called once when the code location loads (``lib/settings.py``)."""

    freshness_max_age_hours: float = 72.0  # a long weekend without new records is still fine
    freshness_as_of: datetime | None = None  # None: now
    reject_warn_rate: float = 0.01  # share of a file's rows the loader rejected: WARN above
    reject_error_rate: float = 0.05  # ... ERROR above
    volume_drop: float = 0.5  # WARN when a file has fewer than (1 - this) x the previous rows
    # per raw table ("raw_crm.leads"), from RJW_FRESHNESS_MAX_AGE_HOURS_<SYSTEM>_<OBJECT>
    max_age_hours_by_table: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        as_of = (env.get(FRESHNESS_AS_OF_ENV) or "").strip()
        parsed = None
        if as_of:
            try:
                parsed = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
            except ValueError:
                raise SuiteError(f"{FRESHNESS_AS_OF_ENV}={as_of!r} is not ISO-8601") from None
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        overrides = {}
        for contract in CONTRACTS.values():
            name = f"{FRESHNESS_MAX_AGE_ENV}_{contract.system}_{contract.object}".upper()
            if (env.get(name) or "").strip():
                overrides[contract.table] = _env_float(env, name, cls.freshness_max_age_hours)
        return cls(
            freshness_max_age_hours=_env_float(
                env, FRESHNESS_MAX_AGE_ENV, cls.freshness_max_age_hours
            ),
            freshness_as_of=parsed,
            reject_warn_rate=_env_float(env, REJECT_WARN_ENV, cls.reject_warn_rate),
            reject_error_rate=_env_float(env, REJECT_ERROR_ENV, cls.reject_error_rate),
            volume_drop=_env_float(env, VOLUME_DROP_ENV, cls.volume_drop),
            max_age_hours_by_table=overrides,
        )

    def max_age_hours(self, suite: Suite) -> float | None:
        """The allowed age of a table's newest record: the per-object setting
        (``RJW_FRESHNESS_MAX_AGE_HOURS_CRM_LEADS``), else the suite's, else the default."""
        if suite.freshness is None:
            return None
        if suite.table in self.max_age_hours_by_table:
            return self.max_age_hours_by_table[suite.table]
        if suite.freshness.max_age_hours is not None:
            return suite.freshness.max_age_hours
        return self.freshness_max_age_hours


def suite_parameters(now: datetime | None = None) -> dict[str, Any]:
    """Values of the suite parameters: the latest time a record may carry (now + a day)."""
    now = now or datetime.now(UTC)
    limit = now + FUTURE_GRACE
    return {
        "max_timestamp": limit,
        # DATE columns come to pandas as naive midnight timestamps
        "max_date": datetime(limit.year, limit.month, limit.day),
        "max_epoch_seconds": int(limit.timestamp()),
        "max_epoch_millis": int(limit.timestamp() * 1000),
    }
