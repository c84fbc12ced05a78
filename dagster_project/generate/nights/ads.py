"""A night of ad-platform reports: the day's clicks and daily stats per campaign, plus clicks
of the last three days reported late, whose days are restated (the platform sends the whole
day's row again with the new totals; the latest export of a day wins).

Ad platforms never delete a click or a day: they restate it. Removing a campaign is a status
(Google ``REMOVED``, Meta ``DELETED``, LinkedIn ``ARCHIVED``) on the campaign objects, which
the nights leave unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.generate.exports.ads import (
    daily_stats,
    google_clicks_frame,
    google_stats_frame,
    linkedin_analytics_frame,
    linkedin_clicks_frame,
    meta_clicks_frame,
    meta_insights_frame,
    tagged_clicks,
)
from dagster_project.generate.nights.night import Delta, Night
from dagster_project.generate.nights.state import SourceState

# the export shape of each platform's clicks and daily stats
CLICK_FRAMES = {
    "google_ads_clicks": google_clicks_frame,
    "meta_ads_clicks": meta_clicks_frame,
    "linkedin_ads_clicks": linkedin_clicks_frame,
}
STATS_FRAMES = {
    "google_ads_campaign_stats": google_stats_frame,
    "meta_ads_insights": meta_insights_frame,
    "linkedin_ads_analytics": linkedin_analytics_frame,
}


def report_ads(
    night: Night,
    state: SourceState,
    clicks: pd.DataFrame,
    ad_campaigns: pd.DataFrame,
    delta: Delta,
) -> None:
    """The night's click exports and daily stats: the day's rows, and the restated rows of
    the days late clicks belong to."""
    rng = night.rng("ads")
    tagged = tagged_clicks(clicks, ad_campaigns)
    late = tagged.late.to_numpy()
    for obj, frame in CLICK_FRAMES.items():
        delta.add(obj, "new", frame(tagged[~late]))
        delta.add(obj, "late", frame(tagged[late]))
    if (~late).any():
        today = daily_stats(rng, tagged[~late], ad_campaigns)
        for obj, frame in STATS_FRAMES.items():
            delta.add(obj, "new", frame(today))
    if late.any():
        restated = _restated(state, daily_stats(rng, tagged[late], ad_campaigns), night)
        for obj, frame in STATS_FRAMES.items():
            delta.add(obj, "late", frame(restated))


def _restated(state: SourceState, late_days: pd.DataFrame, night: Night) -> pd.DataFrame:
    """The days late clicks fall on, with the clicks, spend and impressions already reported
    for them added (``late_days`` holds only the late clicks' share)."""
    reported = pd.concat(
        [
            state.ad_stats(platform, night.days_ago(3).astype(object)).assign(platform=platform)
            for platform in ("google", "meta", "linkedin")
        ],
        ignore_index=True,
    )
    reported["day"] = reported.day.to_numpy().astype("datetime64[D]")
    keys = ["platform", "ad_campaign_id", "day"]
    earlier = (
        late_days[keys]
        .merge(reported, on=keys, how="left")
        .fillna({"impressions": 0, "clicks": 0, "spend": 0.0})
    )
    restated = late_days.copy()
    restated["clicks"] = late_days.clicks.to_numpy() + earlier.clicks.to_numpy()
    restated["impressions"] = late_days.impressions.to_numpy() + earlier.impressions.to_numpy()
    restated["spend"] = np.round(late_days.spend.to_numpy() + earlier.spend.to_numpy(), 2)
    return restated
