"""What every simulation step shares: the config, the one random stream, time and id helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from dagster_project.generate.config import WorldConfig

DAY = np.timedelta64(86_400, "s")


def to_datetime(day: date) -> np.datetime64:
    return np.datetime64(day.isoformat(), "s")


@dataclass(frozen=True)
class Sim:
    """The config, the seeded random stream every step draws from in turn, and the time span."""

    cfg: WorldConfig
    rng: np.random.Generator
    start: np.datetime64
    end: np.datetime64
    span_days: float

    @classmethod
    def of(cls, cfg: WorldConfig) -> Sim:
        start, end = to_datetime(cfg.start), to_datetime(cfg.end)
        return cls(cfg, np.random.default_rng(cfg.seed), start, end, (end - start) / DAY)


def record_ids(prefix: str, count: int, start: int = 0) -> np.ndarray:
    """Salesforce-like 18-character ids: a 3-character key prefix and a 15-character number."""
    numbers = np.arange(start + 1, start + count + 1).astype(str)
    return np.char.add(prefix, np.char.zfill(numbers, 15))


def hex_ids(rng: np.random.Generator, prefix: str, count: int, width: int = 24) -> np.ndarray:
    """Random-looking opaque ids (click ids, Stripe ids), unique within the batch."""
    if count == 0:
        return np.array([], dtype="<U1")
    raw = rng.integers(0, 2**62, size=count, dtype=np.int64)
    raw = np.unique(raw) if len(np.unique(raw)) == count else np.arange(count) * 7919 + 1_000_003
    rng.shuffle(raw)
    return np.char.add(prefix, np.char.zfill(np.char.mod("%x", raw), width // 2 + 4))


def group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every group of ``counts`` consecutive elements."""
    totals = np.cumsum(values)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    base = np.concatenate([[0.0], totals])[starts]
    return totals - base


def days(amount) -> np.ndarray:
    """A number (or array) of days as ``timedelta64[s]``."""
    return (np.asarray(amount, dtype=float) * 86_400).astype("int64").astype("timedelta64[s]")


def group_positions(counts: np.ndarray) -> np.ndarray:
    """The position of every element within its group of ``counts`` consecutive elements."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
