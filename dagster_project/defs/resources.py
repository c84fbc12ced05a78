"""Resources: the DuckDB warehouse, the landing zone and dbt, configured from the environment.

Defaults give the embedded setup (``data/warehouse.duckdb``, ``data/landing``) relative to the
repository root, so ``dagster dev`` and the ``rjw`` CLI work from any working directory.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject
from dagster_duckdb import DuckDBResource

from dagster_project.lib.paths import DBT_PROJECT_DIR, REPO_ROOT  # noqa: E402

WAREHOUSE_ENV = "RJW_DUCKDB_PATH"
LANDING_ENV = "RJW_LANDING_DIR"
REPORTS_ENV = "RJW_REPORTS_DIR"
SERVING_ENV = "RJW_SERVING_DIR"


def _path(env: str, default: Path) -> Path:
    """An absolute path from ``env``, or ``default``; relative values are taken from the repo."""
    value = dg.EnvVar(env).get_value()
    path = Path(value) if value else default
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def warehouse_path() -> Path:
    return _path(WAREHOUSE_ENV, REPO_ROOT / "data" / "warehouse.duckdb")


def landing_path() -> Path:
    return _path(LANDING_ENV, REPO_ROOT / "data" / "landing")


def reports_path() -> Path:
    """Where the HTML reports (business report, data-quality report) are written."""
    return _path(REPORTS_ENV, REPO_ROOT / "data" / "reports")


def serving_path() -> Path:
    """Where the read-only DuckDB snapshot for analysts is published."""
    return _path(SERVING_ENV, REPO_ROOT / "data" / "serving")


# Serving (dagster_project/defs/serving/, engines in lib/serving/): the analysts' snapshot and PostgreSQL for BI tools
SNAPSHOT_PII_ENV = "RJW_SNAPSHOT_PII"  # hash | mask | none (default: analysts are internal)
PII_MODE_ENV = "RJW_PII_MODE"  # for PostgreSQL: hash (default) | mask | none
PII_SALT_ENV = "RJW_PII_SALT"
POSTGRES_DSN_ENV = "RJW_POSTGRES_DSN"
POSTGRES_READER_ENV = "RJW_POSTGRES_READER_ROLE"
POSTGRES_READER_PASSWORD_ENV = "RJW_POSTGRES_READER_PASSWORD"
POSTGRES_LOCK_TIMEOUT_ENV = "RJW_POSTGRES_LOCK_TIMEOUT_SECONDS"


def _secret(env: str) -> dg.EnvVar | None:
    """The variable itself (Dagster resolves it at run time and never shows its value), or None
    when it is not set."""
    return dg.EnvVar(env) if os.environ.get(env) else None


class ServingTarget(dg.ConfigurableResource):
    """Where the analysts' read-only DuckDB snapshot is published, and whether its personal
    columns are hidden (``none``, ``hash`` or ``mask``; see serving/pii.py)."""

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


def serving_resources() -> dict[str, dg.ConfigurableResource]:
    """The serving resources from the environment (secrets stay environment variables)."""
    return {
        "serving": ServingTarget(
            root=str(serving_path()),
            pii_mode=os.environ.get(SNAPSHOT_PII_ENV) or "none",
            pii_salt=_secret(PII_SALT_ENV),
        ),
        "postgres": PostgresTarget(
            dsn=_secret(POSTGRES_DSN_ENV),
            reader_role=os.environ.get(POSTGRES_READER_ENV) or "rjw_reader",
            reader_password=_secret(POSTGRES_READER_PASSWORD_ENV),
            pii_mode=os.environ.get(PII_MODE_ENV) or "hash",
            pii_salt=_secret(PII_SALT_ENV),
            lock_timeout_seconds=float(os.environ.get(POSTGRES_LOCK_TIMEOUT_ENV) or 30),
        ),
    }


class LandingZone(dg.ConfigurableResource):
    """The folder source systems export into: ``<root>/<system>/<object>/``."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# The dbt installed beside this interpreter, so an un-activated virtualenv works too.
DBT_EXECUTABLE = (
    str(Path(sys.executable).with_name("dbt"))
    if Path(sys.executable).with_name("dbt").exists()
    else (shutil.which("dbt") or "dbt")
)


def dbt_cli() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)


def build_resources() -> dict[str, dg.ConfigurableResource]:
    """Resource instances for the Definitions; paths are resolved when the code location loads."""
    warehouse = warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    return {
        # (the loader sets TimeZone=UTC per connection: as connection config DuckDB 2.0 fails
        # to autoload icu for it)
        "duckdb": DuckDBResource(database=str(warehouse)),
        "landing": LandingZone(root=str(landing_path())),
        # dbt reads the same path through RJW_DUCKDB_PATH (see dbt/profiles.yml)
        "dbt": dbt_cli(),
        **serving_resources(),
    }
