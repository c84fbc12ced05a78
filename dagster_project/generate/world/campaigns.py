"""Campaigns: ad campaigns on each platform, and the CRM's campaigns (ad mirrors, emails,
webinars, trade shows, content)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dagster_project.generate.channels import COST_PER_CLICK
from dagster_project.generate.world.common import Sim, record_ids


@dataclass(frozen=True)
class AdPlan:
    """The campaigns one paid channel runs on its ad platform."""

    key: str  # channel key
    platform: str
    ad_type: str
    count: int
    prefix: str  # of the utm_campaign values


TOPICS = [
    "brand",
    "competitor",
    "attribution",
    "revenue-ops",
    "pipeline",
    "analytics",
    "retargeting",
    "abm",
    "data-quality",
    "forecasting",
]
PLATFORM_CURRENCY = {"google": "USD", "meta": "EUR", "linkedin": "USD"}
CONTENT_OFFERS = ["state-of-revops-report", "attribution-ebook", "pipeline-template"]


def simulate_campaigns(sim: Sim) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ad campaigns, then the CRM campaigns."""
    ads = _ad_campaigns(sim)
    return ads, _crm_campaigns(sim, ads)


def _ad_campaigns(sim: Sim) -> pd.DataFrame:
    """A few campaigns per paid channel (more in larger worlds), each with its cost per click."""
    extra = sim.cfg.accounts // 2500
    plans = [
        AdPlan("paid_search", "google", "SEARCH", 5 + extra, "gs"),
        AdPlan("display", "google", "DISPLAY", 2 + extra, "gd"),
        AdPlan("meta", "meta", "OUTCOME_LEADS", 4 + extra, "fb"),
        AdPlan("linkedin", "linkedin", "SPONSORED_UPDATES", 3 + extra, "li"),
    ]
    rows = []
    for plan in plans:
        for number in range(1, plan.count + 1):
            topic = TOPICS[(number - 1 + len(rows)) % len(TOPICS)]
            rows.append(
                {
                    "key": plan.key,
                    "platform": plan.platform,
                    "ad_type": plan.ad_type,
                    "utm_campaign": f"{plan.prefix}_{topic}_{number:02d}",
                    "name": f"{plan.platform.title()} | {topic.replace('-', ' ').title()} "
                    f"{number:02d}",
                    "cpc": COST_PER_CLICK[plan.key] * sim.rng.uniform(0.7, 1.4),
                }
            )
    ads = pd.DataFrame(rows)
    ads["currency"] = ads.platform.map(PLATFORM_CURRENCY)
    position = np.arange(len(ads))
    ads["ad_campaign_id"] = np.where(
        ads.platform == "google",
        (21_000_000_000 + position * 137).astype(str),
        np.where(
            ads.platform == "meta",
            (23_850_000_000_000 + position).astype(str),
            (180_000_000 + position * 11).astype(str),
        ),
    )
    return ads


def _crm_campaigns(sim: Sim, ads: pd.DataFrame) -> pd.DataFrame:
    """CRM mirrors of most ad campaigns, two emails and a webinar a month, a trade show a
    quarter and the gated content offers; ``ts`` is when the campaign (event) happens."""
    rng = sim.rng
    rows = []
    for ad in ads.itertuples():  # CRM mirrors most ad campaigns (marketing practice)
        if rng.random() < 0.85:
            rows.append(
                {
                    "type": "Advertisement",
                    "key": ad.key,
                    "name": ad.name,
                    "utm_campaign": ad.utm_campaign,
                    "cost": None,
                    "ts": sim.start,
                    "ad_campaign_id": ad.ad_campaign_id,
                }
            )
    for month in pd.date_range(sim.cfg.start, sim.cfg.end, freq="MS"):
        for half, topic in enumerate(["newsletter", "nurture"]):
            rows.append(
                {
                    "type": "Email",
                    "key": "email",
                    "name": f"Email | {topic.title()} {month:%Y-%m}",
                    "utm_campaign": f"em_{topic}_{month:%Y%m}",
                    "cost": 250.0,
                    "ts": np.datetime64(month + pd.Timedelta(days=3 + 14 * half, hours=15), "s"),
                }
            )
        rows.append(
            {
                "type": "Webinar",
                "key": "webinar",
                "name": f"Webinar | {month:%B %Y}",
                "utm_campaign": f"wb_{month:%Y%m}",
                "cost": float(rng.integers(1, 5)) * 1000,
                "ts": np.datetime64(month + pd.Timedelta(days=20, hours=16), "s"),
            }
        )
        if month.month % 3 == 1:
            rows.append(
                {
                    "type": "Trade Show",
                    "key": "event",
                    "name": f"Trade Show | {month:%Y-%m}",
                    "utm_campaign": f"ev_{month:%Y%m}",
                    "cost": float(rng.integers(15, 60)) * 1000,
                    "ts": np.datetime64(month + pd.Timedelta(days=10, hours=9), "s"),
                }
            )
    for offer in CONTENT_OFFERS:
        rows.append(
            {
                "type": "Content",
                "key": "content",
                "name": f"Content | {offer}",
                "utm_campaign": f"ct_{offer}",
                "cost": 3000.0,
                "ts": sim.start,
            }
        )
    crm = pd.DataFrame(rows)
    crm["campaign_id"] = record_ids("701", len(crm))
    crm["ts"] = crm["ts"].astype("datetime64[s]")
    return crm
