"""How the company's website tags visits: UTM parameters, click ids, landing-page URLs."""

from __future__ import annotations

import numpy as np
import pandas as pd

SITE = "https://www.revjourney.io"
# utm_source of each ad platform
PLATFORM_UTM = {"google": "google", "meta": "facebook", "linkedin": "linkedin"}
# utm_medium of each paid channel
MEDIUM = {
    "paid_search": "cpc",
    "display": "display",
    "meta": "paid_social",
    "linkedin": "paid_social",
}
# the URL parameter each ad platform appends its click id as
CLICK_PARAM = {"google": "gclid", "meta": "fbclid", "linkedin": "li_fat_id"}


def url(base: str, params: list[tuple[str, object]]) -> str:
    """``base`` with the query parameters that have a value."""
    query = "&".join(
        f"{name}={value}" for name, value in params if value is not None and value == value
    )
    return f"{base}?{query}" if query else base


def utm_source_and_medium(platform: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The UTM source and medium of touches: from the ad platform of paid ones (``platform``
    missing otherwise), else from the channel ``key`` for content, referral and events."""
    conditions = [
        pd.notna(platform),
        key == "content",
        key == "referral",
        np.isin(key, ["webinar", "event"]),
    ]
    source = np.select(
        conditions, [pd.Series(platform).map(PLATFORM_UTM).to_numpy(), "blog", "partner", key], None
    )
    medium = np.select(
        conditions, [pd.Series(key).map(MEDIUM).to_numpy(), "content", "referral", key], None
    )
    return source, medium
