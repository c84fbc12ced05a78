"""The knobs of a simulated world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class WorldConfig:
    """Knobs of the simulated world. ``accounts`` is the scale knob (tests: a few hundred)."""

    accounts: int = 1000
    seed: int = 42
    start: date = date(2025, 1, 1)
    end: date = date(2026, 10, 31)
    anonymous_visitors_per_person: float = 2.0
    free_mail_share: float = 0.12
