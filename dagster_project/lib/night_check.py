"""Whether tonight has anything to do, decided before any run starts.

A night is worth a run when the landing zone holds content not loaded yet, or when the warehouse
needs a dbt build (a load since the last build, an edited dbt project or var; see
``build_state``). With neither, ``rjw run`` and the nightly schedule start no Dagster run at all
(a run of the whole graph costs ~20 s of event bookkeeping even when every step finds nothing)
and report the freshness of each source instead, the one thing that changes while nothing
arrives. Everything here reads the warehouse read-only and no landing file whose size and
modification time are the ones recorded at its load (``watch.unloaded_files``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.lib.build_state import BuildDecision, decide
from dagster_project.lib.landing.watch import (
    WarehouseBusy,
    landing_listing,
    loaded_files_on,
    unloaded_files,
)
from dagster_project.lib.quality.findings import Finding
from dagster_project.lib.quality.rules import check_freshness
from dagster_project.lib.quality.suite import Settings as QualitySettings
from dagster_project.lib.quality.suite import load_suites
from dagster_project.lib.sql import table_exists


@dataclass(frozen=True)
class NightCheck:
    files_listed: int
    new_files: list[tuple[str, str, int, int]]  # (raw table, uri, size, mtime_ns)
    decision: BuildDecision
    freshness: list[Finding] = field(default_factory=list)

    @property
    def nothing_new(self) -> bool:
        return not self.new_files and not self.decision.build

    @property
    def reason(self) -> str:
        if self.new_files:
            return (
                f"{len(self.new_files)} landing file(s) not loaded yet "
                f"(first: {self.new_files[0][1]})"
            )
        if self.decision.build:
            return self.decision.reason
        return f"the {self.files_listed} landing files are all loaded; {self.decision.reason}"

    @property
    def stale(self) -> list[Finding]:
        return [f for f in self.freshness if not f.passed]


def check_night(
    warehouse: Path,
    landing_root: Path,
    project_fingerprint: str,
    quality: QualitySettings | None = None,
    modes: Mapping[str, str] | None = None,
) -> NightCheck:
    """What tonight would do, from the landing listing, the load manifest and the last build;
    with ``quality`` settings also the freshness of every source (only computed when nothing is
    new: a run evaluates it anyway). Raises ``WarehouseBusy`` when a writer holds the file."""
    listing = landing_listing(landing_root, modes)
    api = sorted(system for system, mode in (modes or {}).items() if mode == "api")
    if api:  # what an API holds is known only by asking it: the run's extracts do
        return NightCheck(
            len(listing),
            [],
            BuildDecision(True, f"{', '.join(api)} in api mode: the run asks the APIs", None),
            [],
        )
    if not Path(warehouse).exists():
        return NightCheck(len(listing), listing, BuildDecision(True, "no warehouse yet", None), [])
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(exc)) from exc
    try:
        new = unloaded_files(landing_root, listing, loaded_files_on(con))
        decision = decide(con, project_fingerprint)
        freshness = []
        if quality is not None and not new and not decision.build:
            con.execute("SET TimeZone = 'UTC'")
            for suite in load_suites().values():
                if table_exists(con, suite.table):
                    freshness.append(check_freshness(con, suite, quality)[0])
    finally:
        con.close()
    return NightCheck(len(listing), new, decision, freshness)
