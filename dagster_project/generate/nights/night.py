"""One night of exports: its day, its file-name part, its random streams, what it changed."""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from dagster_project.generate.world.common import DAY, days

# the kinds of change a nightly delta carries, in the order the summary lists them
CHANGE_KINDS = ("new", "updated", "late", "deleted")


@dataclass(frozen=True)
class Night:
    """Night ``number`` (1: the first after the base world) exports the activity of ``day``
    (UTC) at 02:00 UTC the next morning, as ``<object>_<YYYYMMDD>T020000Z_delta`` files."""

    number: int
    day: date
    seed: int

    @classmethod
    def after(cls, world_end: date, number: int, seed: int) -> Night:
        return cls(number, world_end + timedelta(days=number - 1), seed)

    @property
    def start(self) -> np.datetime64:
        """Midnight UTC at the start of the night's day."""
        return np.datetime64(self.day.isoformat(), "s")

    @property
    def export_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def part(self) -> str:
        return f"{self.export_day:%Y%m%d}T020000Z_delta"

    @property
    def export_at(self) -> str:
        return f"{self.export_day.isoformat()}T02:00:00Z"

    def rng(self, stream: str) -> np.random.Generator:
        """The night's own random stream ``stream``: derived from the seed, the day and the
        stream's name only, so the base world's stream and the other streams never shift it."""
        return np.random.default_rng([self.seed, self.day.toordinal(), zlib.crc32(stream.encode())])

    def times(
        self, rng: np.random.Generator, count: int, first_hour: float = 8, last_hour: float = 20
    ) -> np.ndarray:
        """``count`` sorted moments of the night's day between the two hours (UTC)."""
        hours = np.sort(rng.uniform(first_hour, last_hour, count))
        return self.start + days(hours / 24)

    def days_ago(self, count: int) -> np.datetime64:
        return self.start - count * DAY


@dataclass
class Changes:
    """Rows per object and kind of change (``CHANGE_KINDS``) a night wrote."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, obj: str, kind: str, count: int) -> None:
        if kind not in CHANGE_KINDS:
            raise ValueError(f"unknown kind of change {kind}")
        if count:
            self.counts[obj][kind] = self.counts[obj].get(kind, 0) + int(count)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {
            obj: {kind: kinds[kind] for kind in CHANGE_KINDS if kind in kinds}
            for obj, kinds in sorted(self.counts.items())
        }


def record_number(ids) -> int:
    """The highest number of Salesforce-like ids (``00Q000000000000042`` -> 42); 0 for none."""
    numbers = [int(str(record_id)[3:]) for record_id in ids if isinstance(record_id, str)]
    return max(numbers, default=0)


def at_least_one(
    rng: np.random.Generator, chosen: np.ndarray, candidates: np.ndarray | None = None
) -> np.ndarray:
    """``chosen`` (a mask, within ``candidates``) with one candidate forced in when it holds
    none: every night shows each kind of change its candidates allow."""
    candidates = np.ones(len(chosen), bool) if candidates is None else candidates
    chosen = chosen & candidates
    if candidates.any() and not chosen.any():
        chosen = chosen.copy()
        chosen[rng.choice(np.flatnonzero(candidates))] = True
    return chosen


@dataclass
class Delta:
    """The rows of each object a night exports (in the object's export shape), counted by
    kind of change as they are added."""

    frames: dict[str, list[pd.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    changes: Changes = field(default_factory=Changes)

    def add(self, obj: str, kind: str, rows: pd.DataFrame) -> None:
        if len(rows):
            self.frames[obj].append(rows)
            self.changes.add(obj, kind, len(rows))

    def rows(self, obj: str) -> pd.DataFrame:
        """Every row of ``obj``, in the order added (empty frame: none)."""
        parts = [part.reset_index(drop=True) for part in self.frames.get(obj, [])]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def next_ids(prefix: str, ids: dict[str, int], obj: str, count: int) -> np.ndarray:
    """The next ``count`` Salesforce-like ids of ``obj`` (as ``world.common.record_ids``
    writes them), advancing ``ids[obj]``."""
    first = ids[obj] + 1
    ids[obj] += count
    return np.array([f"{prefix}{number:015d}" for number in range(first, first + count)], object)
