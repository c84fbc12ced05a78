"""Sample-data generator: a simulated B2B world written as CRM, ad-platform and billing exports.

``world`` simulates the company (one seeded random stream, step by step), ``exports`` writes it
as each source system's files plus the ground truth; ``nights`` writes the nightly delta exports
that follow (``generate_days``). Depends only on ``dagster_project.lib``.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from dagster_project.generate.channels import CH
from dagster_project.generate.config import WorldConfig
from dagster_project.generate.exports import write_world
from dagster_project.generate.nights import generate_days
from dagster_project.generate.world import simulate

__all__ = ["CH", "WorldConfig", "generate", "generate_days", "simulate", "write_world"]


def generate(
    landing: Path,
    truth: Path,
    cfg: WorldConfig | None = None,
    *,
    malformed_rate: float = 0.0005,
    clean: bool = True,
    **overrides,
) -> dict:
    """Simulate a world; write the exports to ``landing`` and the ground truth to ``truth``.

    ``truth`` must lie outside ``landing``: the pipeline never reads it. With ``clean`` both
    folders are emptied first, so the same config writes byte-identical files. Returns the
    summary that is also written to ``truth/summary.json``.
    """
    cfg = replace(cfg or WorldConfig(), **overrides)
    landing, truth = Path(landing), Path(truth)
    if truth.resolve().is_relative_to(landing.resolve()):
        raise ValueError(f"ground truth {truth} must not be inside the landing zone {landing}")
    if clean:
        for folder in (landing, truth):
            shutil.rmtree(folder, ignore_errors=True)
    return write_world(simulate(cfg), cfg, landing, truth, malformed_rate=malformed_rate)
