"""Resources: every setting reaches assets, checks and sensors as a field of one of these.

``build_resources(settings)`` makes them from ``lib/settings.Settings`` (the environment, read
once when the code location loads); secrets are handed over as ``dg.EnvVar`` so Dagster resolves
them at run time and never shows their values. Tests and the ``rjw`` command build resources with
other values; nothing reads the environment inside an asset, a check or a sensor.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtProjectPreparer, DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource
from dagster_shared import record

from dagster_project.lib.paths import DBT_PROJECT_DIR, REPO_ROOT
from dagster_project.lib.quality.suite import Settings as QualitySettings
from dagster_project.lib.settings import (
    PII_SALT_ENV,
    POSTGRES_DSN_ENV,
    POSTGRES_READER_PASSWORD_ENV,
    WEBHOOK_ENV,
    Settings,
)

__all__ = ["DBT_PROJECT_DIR", "REPO_ROOT"]

# The environment, read once when the code location loads.
SETTINGS = Settings.from_env()

# Every asset and check that writes the warehouse runs in this Dagster pool. The instance limits
# it to one step at a time (dagster_project/deploy/dagster.yaml, `concurrency.pools`), because
# DuckDB allows one writer per file: a materialisation started by hand queues behind the night.
WAREHOUSE_POOL = "warehouse"


class LandingZone(dg.ConfigurableResource):
    """The folder source systems export into: ``<root>/<system>/<object>/``; with
    ``raw_parquet`` set (the Spark target), where the loader copies the raw tables as Parquet
    after each committed file (lib/landing/parquet_mirror.py)."""

    root: str
    raw_parquet: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.root)

    def mirror(self, con, tables: list[tuple[str, str]] | None = None) -> None:  # noqa: ANN001
        """Copy what is new in ``tables`` (default: every raw table) to the Parquet folder;
        nothing without one."""
        if self.raw_parquet:
            from dagster_project.lib.landing import parquet_mirror

            parquet_mirror.sync(con, Path(self.raw_parquet), tables)


class ReportsFolder(dg.ConfigurableResource):
    """Where the HTML reports (revenue report, data-quality report) are written."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


class QualityGate(dg.ConfigurableResource):
    """Thresholds of the SQL quality checks (see ``lib/quality/suite.Settings``)."""

    freshness_max_age_hours: float = 72.0
    freshness_as_of: str | None = None  # ISO-8601; unset: now
    reject_warn_rate: float = 0.01
    reject_error_rate: float = 0.05
    volume_drop: float = 0.5
    max_age_hours_by_table: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: QualitySettings) -> QualityGate:
        as_of = settings.freshness_as_of
        return cls(
            freshness_max_age_hours=settings.freshness_max_age_hours,
            freshness_as_of=as_of.isoformat() if as_of else None,
            reject_warn_rate=settings.reject_warn_rate,
            reject_error_rate=settings.reject_error_rate,
            volume_drop=settings.volume_drop,
            max_age_hours_by_table=dict(settings.max_age_hours_by_table),
        )

    def settings(self) -> QualitySettings:
        return QualitySettings(
            freshness_max_age_hours=self.freshness_max_age_hours,
            freshness_as_of=(
                datetime.fromisoformat(self.freshness_as_of) if self.freshness_as_of else None
            ),
            reject_warn_rate=self.reject_warn_rate,
            reject_error_rate=self.reject_error_rate,
            volume_drop=self.volume_drop,
            max_age_hours_by_table=dict(self.max_age_hours_by_table),
        )


class ServingTarget(dg.ConfigurableResource):
    """Where the analysts' read-only DuckDB snapshot is published, and whether its personal
    columns are hidden (``none``, ``hash`` or ``mask``; see lib/serving/pii.py)."""

    root: str
    pii_mode: str = "none"
    pii_salt: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.root)


class PostgresTarget(dg.ConfigurableResource):
    """The PostgreSQL database BI tools read; publishing is off while ``dsn`` is unset.

    ``reader_role`` gets USAGE and SELECT on the served schemas and nothing else. It is created
    NOLOGIN (a group role: grant it to your BI users) unless ``reader_password`` is set, which
    makes it a LOGIN role with that password."""

    dsn: str | None = None
    reader_role: str = "rjw_reader"
    reader_password: str | None = None
    pii_mode: str = "hash"
    pii_salt: str | None = None
    lock_timeout_seconds: float = 30.0

    def secrets(self) -> list[str]:
        """Values that must never appear in a message (the DSN and its password, the reader's
        password, the salt)."""
        out = [self.dsn, self.reader_password, self.pii_salt]
        if self.dsn:
            try:
                import psycopg

                out.append(psycopg.conninfo.conninfo_to_dict(self.dsn).get("password"))
            except Exception:  # an unparsable DSN: redacting the whole string is what we can do
                pass
        return [s for s in out if s]


class AlertWebhook(dg.ConfigurableResource):
    """Where failed runs are posted as JSON (off while ``url`` is unset)."""

    url: str | None = None
    timeout_seconds: float = 10.0
    dagster_url: str | None = None  # the UI's base URL, for a link to the failed run


class SourceApi(dg.ConfigurableResource):
    """One source API's account and credentials (credentials as ``dg.EnvVar``: resolved when a
    run starts, never shown) and how hard to retry it. ``connector()`` builds the plain client
    of ``lib/connectors``."""

    api: str
    plain: dict[str, str] = {}
    max_attempts: int = 5
    backoff_seconds: float = 1.0
    ads_start_date: str | None = None
    ads_lookback_days: int = 7
    # credentials (the connector's argument names); None: not set
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    api_key: str | None = None
    developer_token: str | None = None
    access_token: str | None = None

    def connector(self):  # noqa: ANN201 (one of the lib/connectors connectors)
        from datetime import date

        from dagster_project.lib.connectors import ads, salesforce, stripe
        from dagster_project.lib.connectors.config import SECRETS
        from dagster_project.lib.connectors.http import RetryPolicy

        retry = RetryPolicy(max_attempts=self.max_attempts, backoff_factor=self.backoff_seconds)
        args = {k: v for k, v in self.plain.items() if v}
        args |= {arg: getattr(self, arg) for _, arg, _ in SECRETS[self.api] if getattr(self, arg)}
        if self.api == "salesforce":
            args.setdefault(
                "token_url", args["instance_url"].rstrip("/") + "/services/oauth2/token"
            )
            return salesforce.SalesforceConnector(**args, retry=retry)
        if self.api == "stripe":
            return stripe.StripeConnector(**args, retry=retry)
        window = ads.DailyWindow(
            start_date=date.fromisoformat(self.ads_start_date),
            lookback_days=self.ads_lookback_days,
        )
        cls = {
            "google_ads": ads.GoogleAdsConnector,
            "meta_ads": ads.MetaAdsConnector,
            "linkedin_ads": ads.LinkedInAdsConnector,
        }[self.api]
        return cls(**args, window=window, retry=retry)

    def push_client(self, targets: dict[str, str], poll_seconds: float = 2.0):  # noqa: ANN201
        """The write-back's client for this API: the Bulk API 2.0 for Salesforce, the
        conversions sender for an ad platform (``targets``: its conversion action, pixel or
        rule ids)."""
        from dagster_project.lib.connectors.config import SECRETS
        from dagster_project.lib.connectors.conversions import ConversionSender
        from dagster_project.lib.connectors.http import RetryPolicy
        from dagster_project.lib.connectors.salesforce_bulk import SalesforceBulk

        retry = RetryPolicy(max_attempts=self.max_attempts, backoff_factor=self.backoff_seconds)
        creds = {arg: getattr(self, arg) for _, arg, _ in SECRETS[self.api] if getattr(self, arg)}
        plain = {k: v for k, v in self.plain.items() if v}
        if self.api == "salesforce":
            instance = plain["instance_url"]
            return SalesforceBulk(
                instance_url=instance,
                token_url=plain.get("token_url") or instance.rstrip("/") + "/services/oauth2/token",
                retry=retry,
                poll_seconds=poll_seconds,
                **creds,
            )
        extra: dict[str, str | None] = {}
        if self.api == "google_ads":
            targets = {**targets, "customer_id": plain["customer_id"]}
            extra = {
                "login_customer_id": plain.get("login_customer_id"),
                "token_url": plain.get("token_url") or "https://oauth2.googleapis.com/token",
            }
        if self.api == "meta_ads":
            extra = {"pixel_id": targets.get("pixel_id")}
        return ConversionSender(
            platform=self.api,
            base_url=plain["base_url"],
            targets=targets,
            retry=retry,
            **{k: v for k, v in extra.items() if v},
            **creds,
        )


class WriteBack(dg.ConfigurableResource):
    """The write-back: per target (``salesforce``, ``google_ads``, ``meta_ads``,
    ``linkedin_ads``) ``dry_run``, ``live`` or ``off``; where every push's payload files go;
    the ad platforms' conversion targets; the Bulk API's job size and polling; and the clock the
    platforms' age limits are measured on (``as_of``, ISO 8601; unset: now)."""

    root: str
    modes: dict[str, str] = {}
    targets: dict[str, dict[str, str]] = {}
    max_records_per_job: int = 10_000
    poll_seconds: float = 2.0
    as_of: str | None = None

    @property
    def path(self) -> Path:
        return Path(self.root)

    def mode(self, target: str) -> str:
        return self.modes.get(target, "dry_run")

    def now(self) -> datetime:
        from datetime import UTC

        return datetime.fromisoformat(self.as_of) if self.as_of else datetime.now(UTC)


# The dbt installed beside this interpreter, so an un-activated virtualenv works too.
DBT_EXECUTABLE = (
    str(Path(sys.executable).with_name("dbt"))
    if Path(sys.executable).with_name("dbt").exists()
    else (shutil.which("dbt") or "dbt")
)


def dbt_vars(
    warehouse: Path | str,
    memory_limit: str | None = SETTINGS.duckdb_memory_limit,
    spark_dir: Path | str | None = None,
) -> dict[str, str]:
    """The vars every dbt command gets: ``warehouse_path`` and ``duckdb_memory_limit``, which
    dbt/profiles.yml reads (engine settings: not inputs of the models, see build_state), and
    on Spark ``spark_dir`` (part of the build's fingerprint: a switch of engine builds)."""
    out = {"warehouse_path": str(warehouse)}
    if memory_limit:
        out["duckdb_memory_limit"] = memory_limit
    if spark_dir is not None:
        out["spark_dir"] = str(spark_dir)
    return out


def warehouse_vars(
    warehouse: Path | str,
    memory_limit: str | None = SETTINGS.duckdb_memory_limit,
    spark_dir: Path | str | None = None,
) -> list[str]:
    """dbt arguments that point dbt at ``warehouse`` (``dbt_vars``). Parse and build pass the
    same value, so dbt's partial parsing stays valid between them (a changed var or profile
    makes dbt parse everything again)."""
    return ["--vars", json.dumps(dbt_vars(warehouse, memory_limit, spark_dir))]


def warehouse_resource(
    warehouse: Path | str, memory_limit: str = SETTINGS.duckdb_memory_limit
) -> DuckDBResource:
    """The warehouse: its file and DuckDB's memory limit for every connection to it (the dbt
    asset passes the same limit to dbt)."""
    return DuckDBResource(database=str(warehouse), connection_config={"memory_limit": memory_limit})


def memory_limit_of(duckdb: DuckDBResource) -> str | None:
    return (duckdb.connection_config or {}).get("memory_limit")


class VenvDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's preparer (``dbt parse``) with the dbt beside this interpreter (the
    virtualenv need not be activated) and the configured warehouse."""

    def _prepare_manifest(self, project: DbtProject) -> None:
        DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE).cli(
            ["parse", "--quiet", *warehouse_vars(SETTINGS.warehouse)],
            target_path=project.target_path,
        ).wait()
        self._invalidate_seeds_in_partial_parse(project)


# (DbtProject takes no preparer argument in dagster-dbt 0.29; its record accepts a replacement)
dbt_project = record.replace(
    DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR),
    preparer=VenvDbtPreparer(),
)
# `dagster dev` re-parses the dbt project on every load; elsewhere the manifest comes from
# `rjw prepare` (which `rjw run` and the test session call), see the README's production notes
dbt_project.prepare_if_dev()


class WarehouseDbt(DbtCliResource):
    """dagster-dbt's dbt command, on the engine of the settings: DuckDB (the default), or Spark
    with ``spark_dir`` set (target ``spark``, run by ``rjw-dbt`` so the Python model runs in the
    local Spark session; see lib/spark_dbt.py)."""

    spark_dir: str | None = None

    @property
    def on_spark(self) -> bool:
        return self.spark_dir is not None

    @property
    def spark_warehouse(self) -> Path:
        return Path(self.spark_dir or "") / "warehouse"


def dbt_cli(settings: Settings | None = None) -> WarehouseDbt:
    if settings is not None and settings.dbt_target == "spark":
        return WarehouseDbt(
            project_dir=dbt_project,
            dbt_executable=str(Path(DBT_EXECUTABLE).with_name("rjw-dbt")),
            target="spark",
            spark_dir=str(settings.spark_dir),
        )
    return WarehouseDbt(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def prepare_dbt_manifest(
    warehouse: Path | None = None, memory_limit: str = SETTINGS.duckdb_memory_limit
) -> Path:
    """Parse the dbt project (``dbt parse``) so the asset graph matches the dbt files; with the
    warehouse and settings the build will use, so that build can parse only what changed."""
    dbt_cli().cli(
        ["parse", "--quiet", *warehouse_vars(warehouse or SETTINGS.warehouse, memory_limit)],
        target_path=dbt_project.target_path,
    ).wait()
    return dbt_project.manifest_path


def _secret(name: str, settings: Settings) -> dg.EnvVar | None:
    """The variable itself (resolved at run time, never shown), or None when unset."""
    return dg.EnvVar(name) if name in settings.secrets_set else None


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources of the code location for ``settings``."""
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    salt = _secret(PII_SALT_ENV, settings)
    return {
        # (the loader sets TimeZone=UTC per connection: as connection config DuckDB 2.0 fails
        # to autoload icu for it)
        "duckdb": warehouse_resource(settings.warehouse, settings.duckdb_memory_limit),
        "landing": LandingZone(
            root=str(settings.landing),
            raw_parquet=str(settings.spark_dir / "raw") if settings.dbt_target == "spark" else None,
        ),
        "reports": ReportsFolder(root=str(settings.reports)),
        "quality": QualityGate.from_settings(settings.quality),
        # the dbt asset hands the DuckDB resource's path to dbt (see defs/transform/dbt.py)
        "dbt": dbt_cli(settings),
        "serving": ServingTarget(
            root=str(settings.serving), pii_mode=settings.snapshot_pii_mode, pii_salt=salt
        ),
        "postgres": PostgresTarget(
            dsn=_secret(POSTGRES_DSN_ENV, settings),
            reader_role=settings.postgres_reader_role,
            reader_password=_secret(POSTGRES_READER_PASSWORD_ENV, settings),
            pii_mode=settings.postgres_pii_mode,
            pii_salt=salt,
            lock_timeout_seconds=settings.postgres_lock_timeout_seconds,
        ),
        "alerts": AlertWebhook(
            url=_secret(WEBHOOK_ENV, settings),
            timeout_seconds=settings.alert_timeout_seconds,
            dagster_url=settings.dagster_url,
        ),
        "writeback": WriteBack(
            root=str(settings.writeback),
            modes=dict(settings.push.modes),
            targets={k: dict(v) for k, v in settings.push.targets.items()},
            max_records_per_job=settings.push.max_records_per_job,
            poll_seconds=settings.push.poll_seconds,
            as_of=settings.push.as_of,
        ),
        **api_resources(settings),
    }


def api_resources(settings: Settings) -> dict[str, SourceApi]:
    """A ``SourceApi`` per API the source modes read from or the write-back pushes to live
    (none while every system is files and every push a dry-run)."""
    from dagster_project.lib.connectors.config import SECRETS

    out = {}
    for api in sorted({*settings.api.apis_in_use, *settings.push.live}):
        credentials = {
            arg: settings.api_credentials.get(name) or _secret(name, settings)
            for name, arg, _ in SECRETS[api]
        }
        out[api] = SourceApi(
            api=api,
            plain={k: v for k, v in settings.api.plain[api].items() if v},
            max_attempts=settings.api.max_attempts,
            backoff_seconds=settings.api.backoff_seconds,
            ads_start_date=settings.api.start_date().isoformat(),
            ads_lookback_days=settings.api.ads_lookback_days,
            **{k: v for k, v in credentials.items() if v is not None},
        )
    return out
