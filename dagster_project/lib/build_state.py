"""Whether the warehouse needs a dbt build: a night with nothing new runs no dbt model.

A dbt build is a pure function of the raw data and the dbt project. Every load writes a row to
``raw_meta.load_manifest`` (a new or changed file, a re-delivery, a deletion delta), so "nothing
new" is: the newest load id and the dbt project (its files and the vars the build gets) are the
same as at the last successful build, recorded in ``raw_meta.dbt_builds``. Anything else (no
build recorded yet, a new load, an edited model, macro, seed, test or var) builds everything;
the dbt unit tests (fixed inputs, they test the SQL) run only when the project changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.lib.landing.manifest import MANIFEST_TABLE, META_SCHEMA
from dagster_project.lib.sql import scalar, table_exists

BUILDS_TABLE = f"{META_SCHEMA}.dbt_builds"
# what dbt reads from its project folder; target/, logs/ and dbt_packages/ are its output
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")
# vars that set the engine, not the models' inputs: a copied warehouse or another memory limit
# is the same build
ENGINE_VARS = ("warehouse_path", "duckdb_memory_limit")


def project_fingerprint(project_dir: Path, dbt_vars: Mapping[str, object]) -> str:
    """SHA-256 over every file dbt reads from ``project_dir`` (path and content) and the vars
    the build passes on its command line, but ``ENGINE_VARS`` (the warehouse's own path and
    DuckDB's memory limit are not inputs of the models: a warehouse copied elsewhere is the
    same build)."""
    digest = hashlib.sha256()
    for part in PROJECT_PARTS:
        root = project_dir / part
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.exists():
                digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    inputs = {k: v for k, v in dbt_vars.items() if k not in ENGINE_VARS}
    digest.update(json.dumps(inputs, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildDecision:
    build: bool
    reason: str
    last_load_id: int | None  # the newest load the build covers
    # the SQL changed (or was never built here): the dbt unit tests, which test the SQL and
    # not the data, need to run; on new data alone they do not
    code_changed: bool = True


def newest_load_id(con) -> int | None:
    if not table_exists(con, MANIFEST_TABLE):
        return None
    return scalar(con, f"select max(load_id) from {MANIFEST_TABLE}")


def decide(con, fingerprint: str) -> BuildDecision:
    """Build or not, and why, on a connection to the warehouse."""
    load_id = newest_load_id(con)
    if not table_exists(con, BUILDS_TABLE):
        return BuildDecision(True, "no dbt build recorded in this warehouse yet", load_id)
    last = con.execute(
        f"select project_fingerprint, last_load_id, finished_at from {BUILDS_TABLE} "
        "order by build_id desc limit 1"
    ).fetchone()
    if last is None:
        return BuildDecision(True, "no dbt build recorded in this warehouse yet", load_id)
    built_fingerprint, built_load_id, finished_at = last
    if built_fingerprint != fingerprint:
        return BuildDecision(
            True, "the dbt project or its vars changed since the last build", load_id
        )
    if load_id != built_load_id:
        return BuildDecision(
            True,
            f"new loads since the last build (load {built_load_id} -> {load_id})",
            load_id,
            code_changed=False,
        )
    return BuildDecision(
        False,
        f"nothing new since the dbt build of {finished_at:%Y-%m-%d %H:%M} UTC "
        f"(newest load {load_id}, same dbt project)",
        load_id,
        code_changed=False,
    )


def record_build(
    con, fingerprint: str, last_load_id: int | None, started_at: datetime, run_id: str
) -> None:
    """Record a successful full build (the next night compares against it)."""
    con.execute(f"create schema if not exists {META_SCHEMA}")
    con.execute(
        f"""
        create table if not exists {BUILDS_TABLE} (
            build_id bigint not null,
            run_id varchar,
            project_fingerprint varchar not null,
            last_load_id bigint,
            started_at timestamptz not null,
            finished_at timestamptz not null
        )
        """
    )
    con.execute(
        f"""
        insert into {BUILDS_TABLE}
        select coalesce(max(build_id), 0) + 1, ?, ?, ?, ?, ? from {BUILDS_TABLE}
        """,
        [run_id, fingerprint, last_load_id, started_at, datetime.now(UTC)],
    )
