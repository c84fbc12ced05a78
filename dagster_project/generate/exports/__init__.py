"""Writes the simulated world as the files each source tool exports, plus the ground truth.

One writer per source system: ``crm`` (Salesforce-shaped CSVs, with the marketing tool's form
submissions and email events), ``ads`` (Google Ads CSV, Meta and LinkedIn NDJSON) and ``billing``
(Stripe NDJSON). Files follow the landing contracts exactly (column names, formats) and are
realistically dirty: mixed-case and padded emails, duplicate records, records re-exported later
with a newer updated-at, missing optional fields, a few malformed rows and mixed UTC offsets.

The ground truth (true person and account of every record, true sourcing channel, which rows were
made malformed) goes to a separate folder the pipeline never reads (``truth``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.generate.config import WorldConfig
from dagster_project.generate.exports.ads import write_ads
from dagster_project.generate.exports.billing import write_billing
from dagster_project.generate.exports.crm import write_crm
from dagster_project.generate.exports.truth import write_truth
from dagster_project.generate.exports.writer import ExportParts, Writer

__all__ = ["write_world"]


def write_world(
    world: dict[str, pd.DataFrame],
    cfg: WorldConfig,
    landing: Path,
    truth: Path,
    malformed_rate: float = 0.0005,
) -> dict:
    """Write every landing file under ``landing`` and the ground truth under ``truth``.

    The systems are written in a fixed order (CRM, ads, billing) because they share the
    writer's random stream. Returns the summary also written to ``truth/summary.json``."""
    truth.mkdir(parents=True, exist_ok=True)
    writer = Writer(landing, np.random.default_rng(cfg.seed + 1), malformed_rate)
    parts = ExportParts(
        full=f"{cfg.end:%Y%m%d}T020000Z_full", delta=f"{cfg.end:%Y%m%d}T140000Z_delta"
    )
    crm = write_crm(writer, world, np.datetime64(cfg.end.isoformat(), "s"), parts)
    write_ads(writer, world, cfg, parts)
    write_billing(writer, world, parts)
    summary = write_truth(world, crm, writer, truth)
    summary["config"] = {
        "accounts": cfg.accounts,
        "seed": cfg.seed,
        "start": str(cfg.start),
        "end": str(cfg.end),
        "malformed_rate": malformed_rate,
    }
    summary["files"] = writer.files
    (truth / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary
