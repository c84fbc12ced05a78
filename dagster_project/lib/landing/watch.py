"""What the landing sensor looks at: the listing of landing files, its fingerprint, and which
files' content is not loaded yet (compared with the load manifest, read-only)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import duckdb

from dagster_project.lib.files import sha256_file
from dagster_project.lib.landing.contracts import CONTRACTS
from dagster_project.lib.landing.loader import landing_files
from dagster_project.lib.landing.manifest import CURRENT_FILES_VIEW
from dagster_project.lib.sql import table_exists


def landing_listing(
    landing_root: Path, modes: Mapping[str, str] | None = None
) -> list[tuple[str, str, int, int]]:
    """``(raw table, path relative to the landing root, size, mtime_ns)`` of every file the
    loader would read, in a stable order. With the source ``modes``, files of objects that a
    system in ``api`` mode takes from its API are not read, so they are not listed."""
    from dagster_project.lib.connectors.registry import api_of

    out = []
    for contract in CONTRACTS.values():
        if (
            modes
            and modes.get(contract.system) == "api"
            and api_of(contract.system, contract.object)
        ):
            continue
        for path in landing_files(contract, landing_root):
            stat = path.stat()
            uri = path.relative_to(landing_root).as_posix()
            out.append((contract.table, uri, stat.st_size, stat.st_mtime_ns))
    return sorted(out, key=lambda r: (r[1], r[0]))


def fingerprint(listing: list[tuple[str, str, int, int]]) -> str:
    """A short digest of a file listing (names, sizes, modification times)."""
    digest = hashlib.sha256()
    for table, uri, size, mtime in listing:
        digest.update(f"{table}\t{uri}\t{size}\t{mtime}\n".encode())
    return digest.hexdigest()[:32]


class WarehouseBusy(Exception):
    """The warehouse file is locked by a writer."""


def loaded_files(warehouse: Path) -> dict[tuple[str, str], tuple[int, str, int | None]]:
    """``{(raw table, uri): (size, sha256, mtime_ns)}`` of the current version of every loaded
    file.

    Opens the warehouse read-only for a moment; raises ``WarehouseBusy`` if a run holds it."""
    if not warehouse.exists():
        return {}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(exc)) from exc
    try:
        return loaded_files_on(con)
    finally:
        con.close()


def loaded_files_on(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple]:
    """``loaded_files`` on an open connection."""
    if not table_exists(con, CURRENT_FILES_VIEW):
        return {}
    rows = con.execute(
        f"select table_name, source_uri, size_bytes, sha256, mtime_ns from {CURRENT_FILES_VIEW}"
    ).fetchall()
    return {(t, uri): (size, sha, mtime) for t, uri, size, sha, mtime in rows}


def unloaded_files(
    landing_root: Path,
    listing: list[tuple[str, str, int, int]],
    loaded: Mapping[tuple[str, str], tuple],
) -> list[tuple[str, str, int, int]]:
    """The files of ``listing`` whose current content is not loaded yet: new paths, and known
    paths whose size or sha256 changed (a same-size change is found by hashing; a file with the
    recorded size and modification time is not read)."""
    out = []
    for table, uri, size, mtime in listing:
        known = loaded.get((table, uri))
        if known is not None and len(known) > 2 and (known[0], known[2]) == (size, mtime):
            continue
        if known is None or known[0] != size or known[1] != sha256_file(landing_root / uri):
            out.append((table, uri, size, mtime))
    return out
