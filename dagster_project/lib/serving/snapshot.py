"""The analysts' read-only DuckDB snapshot of the marts, published with an atomic swap.

DuckDB allows one writer or many readers per file, never both, so analysts never open the
warehouse itself. After the marts are built and tested, the publisher copies the served schemas
into a new file beside the current snapshot (``analytics.next.duckdb``) in one read transaction
of the warehouse, checkpoints and closes it (no ``.wal`` is left), checks it, and renames it over
``analytics.duckdb``. A rename is atomic: a reader opens either the old complete file or the new
complete one, and a reader that has the old one open keeps reading it until it reconnects. The
publisher never opens the served file, so readers never block it and it never blocks them.

The replaced snapshot is kept as ``analytics.previous.duckdb`` (``rjw serving rollback`` swaps
the two back). Each snapshot carries its own manifest (``serving.manifest``: published_at, run
id, source warehouse, PII mode, rows per table); ``manifest.json`` beside it describes the
current one.
"""

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.files import write_atomically
from dagster_project.lib.serving import pii as pii_sql
from dagster_project.lib.serving.catalog import (
    MANIFEST_SCHEMA,
    MANIFEST_TABLE,
    DbtCatalog,
    ServedTable,
    served_tables,
)

# Not named after a schema: DuckDB names the catalog after the file, and a catalog "marts" would
# make `marts.people` ambiguous.
SNAPSHOT_FILE = "analytics.duckdb"
PREVIOUS_FILE = "analytics.previous.duckdb"
NEXT_FILE = "analytics.next.duckdb"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".publish.lock"
_ATTACHED = "rjw_next"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def publish_lock(serving_dir: Path) -> Iterator[None]:
    """One publish or rollback at a time per serving folder (two runs could otherwise race)."""
    serving_dir.mkdir(parents=True, exist_ok=True)
    with open(serving_dir / LOCK_FILE, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_tables(
    con: duckdb.DuckDBPyConnection,
    tables: list[ServedTable],
    catalog: DbtCatalog,
    pii_mode: str,
    manifest_row: dict,
) -> dict[str, int]:
    """Copy ``tables`` into the attached next snapshot in one transaction; returns rows per
    table. Views are copied as tables, so the snapshot needs nothing but itself."""
    source_db = con.execute("select current_database()").fetchone()[0]
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for schema in sorted({t.schema for t in tables} | {MANIFEST_SCHEMA}):
            con.execute(f"create schema {_ATTACHED}.{pii_sql.quote(schema)}")
        for t in tables:
            target = f"{_ATTACHED}.{pii_sql.quote(t.schema)}.{pii_sql.quote(t.name)}"
            source = f"{pii_sql.quote(source_db)}.{pii_sql.quote(t.schema)}.{pii_sql.quote(t.name)}"
            select = pii_sql.select_sql(
                source, [c for c, _ in t.columns], catalog.pii.get((t.schema, t.name), {}), pii_mode
            )
            con.execute(f"create table {target} as {select}")
            counts[t.qualified] = con.execute(f"select count(*) from {target}").fetchone()[0]
            key = (t.schema, t.name)
            if key in catalog.table_docs:
                con.execute(f"comment on table {target} is {_literal(catalog.table_docs[key])}")
            for column, doc in catalog.column_docs.get(key, {}).items():
                if any(c.lower() == column for c, _ in t.columns):
                    con.execute(
                        f"comment on column {target}.{pii_sql.quote(column)} is {_literal(doc)}"
                    )
        con.execute(f"""
            create table {_ATTACHED}.{MANIFEST_TABLE} (
                published_at timestamp with time zone,
                run_id varchar,
                source_warehouse varchar,
                pii_mode varchar,
                schema_name varchar,
                table_name varchar,
                row_count bigint
            )""")
        con.executemany(
            f"insert into {_ATTACHED}.{MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    manifest_row["published_at"],
                    manifest_row["run_id"],
                    manifest_row["source_warehouse"],
                    pii_mode,
                    *qualified.split(".", 1),
                    rows,
                ]
                for qualified, rows in counts.items()
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return counts


def snapshot_manifest(path: Path) -> dict:
    """The manifest stored inside a snapshot file (opened read-only)."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(f"""
            select published_at, run_id, source_warehouse, pii_mode, schema_name, table_name,
                   row_count
            from {MANIFEST_TABLE} order by schema_name, table_name""").fetchall()
    if not rows:
        raise RuntimeError(f"{path} has an empty {MANIFEST_TABLE}")
    published_at, run_id, source, mode = rows[0][:4]
    return {
        "snapshot": str(path),
        "published_at": published_at.astimezone(UTC).isoformat(),
        "run_id": run_id,
        "source_warehouse": source,
        "pii_mode": mode,
        "tables": {f"{r[4]}.{r[5]}": r[6] for r in rows},
    }


def _write_manifest_json(serving_dir: Path, manifest: dict) -> None:
    write_atomically(
        serving_dir / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    )


def _keep_as_previous(current: Path, previous: Path) -> None:
    """Make ``previous`` the same file as ``current`` without ``current`` ever disappearing."""
    tmp = previous.with_name(f".{previous.name}.tmp")
    _remove(tmp)
    try:
        os.link(current, tmp)
    except OSError:  # a filesystem without hard links: copy instead
        import shutil

        shutil.copy2(current, tmp)
    os.replace(tmp, previous)


def publish_snapshot(
    con: duckdb.DuckDBPyConnection,
    serving_dir: Path,
    *,
    run_id: str,
    source_warehouse: str,
    catalog: DbtCatalog,
    pii_mode: str = "none",
    pii_salt: str = "",
) -> dict:
    """Copy the served schemas of the warehouse behind ``con`` into a new snapshot and swap it
    in; returns its manifest (with ``seconds``). Nothing visible changes if anything fails."""
    t0 = time.perf_counter()
    tables = served_tables(con)
    if not any(t.schema == "marts" for t in tables):
        raise RuntimeError(f"the warehouse {source_warehouse} has no marts tables to publish")
    current, nxt = serving_dir / SNAPSHOT_FILE, serving_dir / NEXT_FILE
    wal = nxt.with_name(nxt.name + ".wal")
    with publish_lock(serving_dir):
        for leftover in (nxt, wal):
            _remove(leftover)
        pii_sql.set_salt(con, pii_salt)
        published_at = datetime.now(UTC)
        row = {
            "published_at": published_at,
            "run_id": run_id,
            "source_warehouse": source_warehouse,
        }
        try:
            con.execute(f"attach {_literal(str(nxt))} as {_ATTACHED} (read_only false)")
            try:
                counts = _copy_tables(con, tables, catalog, pii_mode, row)
                con.execute(f"checkpoint {_ATTACHED}")
            finally:
                con.execute(f"detach {_ATTACHED}")
            if wal.exists():
                raise RuntimeError(f"{wal} left after checkpoint and detach")
            manifest = snapshot_manifest(nxt)
            if manifest["tables"] != counts:
                raise RuntimeError(f"{nxt} does not hold the rows copied: {manifest['tables']}")
            # readers must not write (a read-write open would lock everyone else out)
            os.chmod(nxt, 0o444)
            if current.exists():
                _keep_as_previous(current, serving_dir / PREVIOUS_FILE)
            os.replace(nxt, current)
            _fsync_dir(serving_dir)
        except BaseException:
            for leftover in (nxt, wal):  # the served files were not touched
                _remove(leftover)
            raise
        manifest["snapshot"] = str(current)
        _write_manifest_json(serving_dir, manifest)
    return {**manifest, "seconds": round(time.perf_counter() - t0, 3)}


def rollback(serving_dir: Path) -> dict:
    """Swap the current and the previous snapshot (so a second rollback undoes the first);
    returns the manifest of the snapshot now served."""
    current, previous = serving_dir / SNAPSHOT_FILE, serving_dir / PREVIOUS_FILE
    with publish_lock(serving_dir):
        if not previous.exists():
            raise FileNotFoundError(f"no previous snapshot to roll back to: {previous} is missing")
        if not current.exists():
            os.replace(previous, current)
        else:
            tmp = serving_dir / f".{SNAPSHOT_FILE}.rollback"
            _remove(tmp)
            os.link(current, tmp)
            os.replace(previous, current)  # readers see the older snapshot from here on
            os.replace(tmp, previous)
        _fsync_dir(serving_dir)
        manifest = snapshot_manifest(current)
        _write_manifest_json(serving_dir, manifest)
    return manifest


def status(serving_dir: Path) -> dict[str, dict | None]:
    """Manifests of the current and the previous snapshot (None where there is none)."""
    out: dict[str, dict | None] = {}
    for label, name in (("current", SNAPSHOT_FILE), ("previous", PREVIOUS_FILE)):
        path = serving_dir / name
        out[label] = snapshot_manifest(path) if path.exists() else None
    return out
