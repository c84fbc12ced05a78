"""Every setting of the warehouse, read from the environment once, in one place.

``Settings.from_env()`` is the only code that reads ``RJW_*`` variables. ``defs/resources.py``
turns a ``Settings`` into Dagster resources (secrets as ``dg.EnvVar`` so Dagster never shows
their values), ``defs/automation.py`` builds the schedule, sensor and retry policy from it, and
the ``rjw`` command builds the code location from a ``Settings`` it may adjust (e.g. freshness
as of the sample's last export). Nothing writes ``os.environ``.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.lib.connectors.config import SECRET_ENVS as API_SECRET_ENVS
from dagster_project.lib.connectors.config import ApiSettings
from dagster_project.lib.connectors.push_config import DIR_ENV as PUSH_DIR_ENV
from dagster_project.lib.connectors.push_config import PushSettings
from dagster_project.lib.env import SettingsError
from dagster_project.lib.env import flag as _flag
from dagster_project.lib.env import number as _number
from dagster_project.lib.env import text as _text
from dagster_project.lib.paths import REPO_ROOT
from dagster_project.lib.quality.suite import Settings as QualitySettings

# name -> (field, default) of the plain settings; the quality thresholds have their own parser
WAREHOUSE_ENV = "RJW_DUCKDB_PATH"
LANDING_ENV = "RJW_LANDING_DIR"
REPORTS_ENV = "RJW_REPORTS_DIR"
SERVING_ENV = "RJW_SERVING_DIR"
SNAPSHOT_PII_ENV = "RJW_SNAPSHOT_PII"
PII_MODE_ENV = "RJW_PII_MODE"
PII_SALT_ENV = "RJW_PII_SALT"
POSTGRES_DSN_ENV = "RJW_POSTGRES_DSN"
POSTGRES_READER_ENV = "RJW_POSTGRES_READER_ROLE"
POSTGRES_READER_PASSWORD_ENV = "RJW_POSTGRES_READER_PASSWORD"
POSTGRES_LOCK_TIMEOUT_ENV = "RJW_POSTGRES_LOCK_TIMEOUT_SECONDS"
CRON_ENV = "RJW_SCHEDULE_CRON"
TIMEZONE_ENV = "RJW_SCHEDULE_TIMEZONE"
AUTOMATION_ON_ENV = "RJW_AUTOMATION_ON"
SENSOR_INTERVAL_ENV = "RJW_LANDING_SENSOR_INTERVAL_SECONDS"
MAX_RETRIES_ENV = "RJW_EXTRACT_MAX_RETRIES"
RETRY_DELAY_ENV = "RJW_EXTRACT_RETRY_DELAY_SECONDS"
WEBHOOK_ENV = "RJW_ALERT_WEBHOOK_URL"
WEBHOOK_TIMEOUT_ENV = "RJW_ALERT_TIMEOUT_SECONDS"
DAGSTER_URL_ENV = "RJW_DAGSTER_URL"
MEMORY_LIMIT_ENV = "RJW_DUCKDB_MEMORY_LIMIT"
MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
DAGSTER_HOME_ENV = "DAGSTER_HOME"
DBT_TARGET_ENV = "RJW_DBT_TARGET"
SPARK_DIR_ENV = "RJW_SPARK_DIR"
DBT_TARGETS = ("duckdb", "spark")

SECRET_ENVS = (
    WEBHOOK_ENV,
    POSTGRES_DSN_ENV,
    POSTGRES_READER_PASSWORD_ENV,
    PII_SALT_ENV,
    *API_SECRET_ENVS,
)
PII_MODES = ("hash", "mask", "none")


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    """An absolute path; relative values are taken from the repository root."""
    raw = _text(env, name)
    path = Path(raw) if raw else default
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def _pii_mode(env: Mapping[str, str], name: str, default: str) -> str:
    mode = (_text(env, name, default) or default).lower()
    if mode not in PII_MODES:
        raise SettingsError(f"{name}={mode!r}: expected one of {', '.join(PII_MODES)}")
    return mode


def _dbt_target(env: Mapping[str, str]) -> str:
    target = (_text(env, DBT_TARGET_ENV, "duckdb") or "duckdb").lower()
    if target not in DBT_TARGETS:
        expected = ", ".join(DBT_TARGETS)
        raise SettingsError(f"{DBT_TARGET_ENV}={target!r}: expected one of {expected}")
    return target


def _memory_limit(env: Mapping[str, str], name: str, default: str) -> str:
    value = (_text(env, name, default) or default).strip()
    if not MEMORY_LIMIT.match(value):
        raise SettingsError(f"{name}={value!r}: expected a size such as 4GB or 512MB")
    return value


@dataclass(frozen=True)
class Settings:
    """The warehouse's settings (defaults: the embedded setup under ``data/``)."""

    warehouse: Path = REPO_ROOT / "data" / "warehouse.duckdb"
    landing: Path = REPO_ROOT / "data" / "landing"
    reports: Path = REPO_ROOT / "data" / "reports"
    serving: Path = REPO_ROOT / "data" / "serving"
    # the write-back's payload files (every push; what a dry-run would have sent)
    writeback: Path = REPO_ROOT / "data" / "writeback"
    dagster_home: Path | None = None  # None: ``rjw`` uses data/dagster_home
    snapshot_pii_mode: str = "none"  # analysts are internal
    postgres_pii_mode: str = "hash"
    postgres_reader_role: str = "rjw_reader"
    postgres_lock_timeout_seconds: float = 30.0
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = "UTC"
    automation_on: bool = False
    landing_sensor_interval_seconds: int = 60
    extract_max_retries: int = 3
    extract_retry_delay_seconds: float = 5.0
    alert_timeout_seconds: float = 10.0
    dagster_url: str | None = None
    # the engine dbt builds with: duckdb (the warehouse file) or spark (a local Spark session,
    # dbt/profiles.yml; README "Running on Spark"): its Parquet tables, metastore and the raw
    # tables' Parquet copy live under spark_dir
    dbt_target: str = "duckdb"
    spark_dir: Path = REPO_ROOT / "data" / "spark"
    # DuckDB's memory_limit for every connection to the warehouse, dbt's included (it spills to
    # disk past it): keeps a 100,000-account night under 6 GiB of memory
    duckdb_memory_limit: str = "4GB"
    quality: QualitySettings = field(default_factory=QualitySettings)
    # secrets: which are set (their values reach resources as dg.EnvVar, never through here)
    secrets_set: frozenset[str] = frozenset()
    # which source systems come from their APIs, and the APIs' accounts and addresses
    api: ApiSettings = field(default_factory=ApiSettings)
    # write-back to Salesforce and offline conversions: dry_run / live / off per target
    push: PushSettings = field(default_factory=PushSettings)
    # credential values handed over in-process instead of the environment: only the local API
    # stand-ins' test credentials (``rjw run --api-standins``); real ones are EnvVar
    api_credentials: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Parse every ``RJW_*`` variable once; a bad value fails with its name."""
        env = os.environ if env is None else env
        secrets_set = frozenset(name for name in SECRET_ENVS if _text(env, name))
        timezone = _text(env, TIMEZONE_ENV, cls.schedule_timezone)
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"{TIMEZONE_ENV}={timezone!r} is not an IANA time zone") from None
        home = _text(env, DAGSTER_HOME_ENV)
        return cls(
            warehouse=_path(env, WAREHOUSE_ENV, cls.warehouse),
            landing=_path(env, LANDING_ENV, cls.landing),
            reports=_path(env, REPORTS_ENV, cls.reports),
            serving=_path(env, SERVING_ENV, cls.serving),
            writeback=_path(env, PUSH_DIR_ENV, cls.writeback),
            dagster_home=Path(home) if home else None,
            snapshot_pii_mode=_pii_mode(env, SNAPSHOT_PII_ENV, "none"),
            postgres_pii_mode=_pii_mode(env, PII_MODE_ENV, "hash"),
            postgres_reader_role=_text(env, POSTGRES_READER_ENV, cls.postgres_reader_role),
            postgres_lock_timeout_seconds=_number(env, POSTGRES_LOCK_TIMEOUT_ENV, 30.0),
            schedule_cron=_text(env, CRON_ENV, cls.schedule_cron),
            schedule_timezone=timezone,
            automation_on=_flag(env, AUTOMATION_ON_ENV),
            landing_sensor_interval_seconds=int(_number(env, SENSOR_INTERVAL_ENV, 60, minimum=1)),
            extract_max_retries=int(_number(env, MAX_RETRIES_ENV, 3)),
            extract_retry_delay_seconds=_number(env, RETRY_DELAY_ENV, 5.0),
            alert_timeout_seconds=_number(env, WEBHOOK_TIMEOUT_ENV, 10.0, minimum=0.1),
            dagster_url=_text(env, DAGSTER_URL_ENV),
            duckdb_memory_limit=_memory_limit(env, MEMORY_LIMIT_ENV, cls.duckdb_memory_limit),
            dbt_target=_dbt_target(env),
            spark_dir=_path(env, SPARK_DIR_ENV, cls.spark_dir),
            quality=QualitySettings.from_env(env),
            secrets_set=secrets_set,
            api=ApiSettings.from_env(env, secrets_set),
            push=PushSettings.from_env(env, secrets_set),
        )
