"""Sample-data generator: a simulated B2B world written as CRM, ad-platform and billing exports."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from dagster_project.generate.exports import write_world
from dagster_project.generate.world import WorldConfig, simulate

__all__ = ["WorldConfig", "generate"]


def generate(out: Path, cfg: WorldConfig = WorldConfig(), *, malformed_rate: float = 0.0005,
             clean: bool = True, **overrides) -> dict:
    """Simulate a world and write ``out/landing`` (exports) and ``out/truth`` (ground truth).

    With ``clean`` the two folders are emptied first, so a re-run with the same config writes
    byte-identical files. Returns the summary also written to ``out/truth/summary.json``.
    """
    cfg = replace(cfg, **overrides)
    out = Path(out)
    if clean:
        for sub in ("landing", "truth"):
            shutil.rmtree(out / sub, ignore_errors=True)
    return write_world(simulate(cfg), cfg, out, malformed_rate=malformed_rate)
