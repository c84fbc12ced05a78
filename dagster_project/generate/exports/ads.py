"""The ad platforms' exports: Google Ads (CSV), Meta and LinkedIn (NDJSON) campaigns, daily
stats and clicks. Daily stats are derived from the clicks, so spend is the clicks bought."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from dagster_project.generate.config import WorldConfig
from dagster_project.generate.exports.web import CLICK_PARAM, MEDIUM, PLATFORM_UTM, SITE
from dagster_project.generate.exports.writer import ExportParts, Writer
from dagster_project.lib.landing.contracts import Contract, get_contract


def _contract(name: str) -> Contract:
    return get_contract("ads", name)


def write_ads(
    writer: Writer, world: dict[str, pd.DataFrame], cfg: WorldConfig, parts: ExportParts
) -> None:
    """Write every ad-platform object, Google, then Meta, then LinkedIn."""
    ads = world["ad_campaigns"]
    clicks = tagged_clicks(world["clicks"], ads)
    daily = daily_stats(writer.rng, clicks, ads)
    start = np.datetime64(cfg.start.isoformat(), "s")
    _write_google(writer, ads, daily, clicks, start, cfg, parts)
    _write_meta(writer, ads, daily, clicks, start, parts)
    _write_linkedin(writer, ads, daily, clicks, start, parts)


def tagged_clicks(clicks: pd.DataFrame, ads: pd.DataFrame) -> pd.DataFrame:
    """The clicks with their day, campaign, UTM tags and landing-page URL."""
    clicks = clicks.copy()
    clicks["day"] = clicks.ts.to_numpy().astype("datetime64[D]")
    campaign = ads.iloc[clicks.ad_campaign.to_numpy()]
    clicks["utm_campaign"] = campaign.utm_campaign.to_numpy()
    clicks["medium"] = pd.Series(campaign.key.to_numpy()).map(MEDIUM).to_numpy()
    clicks["source"] = pd.Series(campaign.platform.to_numpy()).map(PLATFORM_UTM).to_numpy()
    clicks["url"] = (
        SITE
        + "/demo?utm_source="
        + clicks.source
        + "&utm_medium="
        + clicks.medium
        + "&utm_campaign="
        + clicks.utm_campaign
        + "&"
        + clicks.platform.map(CLICK_PARAM)
        + "="
        + clicks.click_id
    )
    clicks["ad_campaign_id"] = campaign.ad_campaign_id.to_numpy()
    return clicks


def daily_stats(rng: np.random.Generator, clicks: pd.DataFrame, ads: pd.DataFrame) -> pd.DataFrame:
    """Clicks, spend (at the campaign's cost per click) and impressions per campaign and day,
    with the campaign's fields."""
    daily = clicks.groupby(["ad_campaign", "day"]).size().rename("clicks").reset_index()
    cpc = ads.cpc.to_numpy()[daily.ad_campaign] * rng.lognormal(0, 0.15, len(daily))
    daily["spend"] = np.round(daily.clicks * cpc, 2)
    ctr = np.where(ads.key.to_numpy()[daily.ad_campaign] == "display", 0.002, 0.02)
    daily["impressions"] = np.round(daily.clicks / ctr * rng.lognormal(0, 0.2, len(daily)))
    return daily.merge(ads, left_on="ad_campaign", right_index=True)


def _write_google(
    writer: Writer,
    ads: pd.DataFrame,
    daily: pd.DataFrame,
    clicks: pd.DataFrame,
    start: np.datetime64,
    cfg: WorldConfig,
    parts: ExportParts,
) -> None:
    """Google Ads reports in the account's time zone (UTC): campaigns, stats, click views.
    The click views come in two overlapping exports: the last week again in the delta, so
    the overlap day arrives twice."""
    campaigns = ads[ads.platform == "google"]
    writer.write(
        _contract("google_ads_campaigns"),
        pd.DataFrame(
            {
                "campaign_id": campaigns.ad_campaign_id.astype("int64"),
                "campaign_name": campaigns.name,
                "campaign_status": "ENABLED",
                "advertising_channel_type": np.where(
                    campaigns.key == "display", "DISPLAY", "SEARCH"
                ),
                "start_date": start,
                "end_date": None,
                "final_url_suffix": "utm_source=google&utm_medium="
                + campaigns.key.map(MEDIUM)
                + "&utm_campaign="
                + campaigns.utm_campaign,
                "customer_currency_code": campaigns.currency,
                "_off": 0,
            }
        ),
        parts.full,
    )
    writer.write(_contract("google_ads_campaign_stats"), google_stats_frame(daily), parts.full)
    click_views = google_clicks_frame(clicks)
    cut = np.datetime64(cfg.end.isoformat(), "D") - np.timedelta64(7, "D")
    contract = _contract("google_ads_clicks")
    writer.write(contract, click_views[click_views.segments_date <= cut], parts.full)
    writer.write(contract, click_views[click_views.segments_date >= cut], parts.delta)


def _write_meta(
    writer: Writer,
    ads: pd.DataFrame,
    daily: pd.DataFrame,
    clicks: pd.DataFrame,
    start: np.datetime64,
    parts: ExportParts,
) -> None:
    """Meta Graph API shapes: insights carry numbers as strings."""
    campaigns = ads[ads.platform == "meta"]
    writer.write(
        _contract("meta_ads_campaigns"),
        pd.DataFrame(
            {
                "id": campaigns.ad_campaign_id,
                "name": campaigns.name,
                "objective": "OUTCOME_LEADS",
                "status": "ACTIVE",
                "start_time": start,
                "stop_time": None,
                "url_tags": "utm_source=facebook&utm_medium=paid_social&utm_campaign="
                + campaigns.utm_campaign,
                "account_currency": campaigns.currency,
                "updated_time": start,
            }
        ),
        parts.full,
        ts_style="iso",
    )
    writer.write(
        _contract("meta_ads_insights"), meta_insights_frame(daily), parts.full, string_numbers=True
    )
    writer.write(
        _contract("meta_ads_clicks"),
        meta_clicks_frame(clicks),
        parts.full,
        ts_style="iso",
        pk="fbclid",
    )


def _date_range(day: pd.Timestamp) -> str:
    """LinkedIn's one-day ``dateRange`` object."""
    date = {"year": day.year, "month": day.month, "day": day.day}
    return json.dumps({"start": date, "end": date})


def _write_linkedin(
    writer: Writer,
    ads: pd.DataFrame,
    daily: pd.DataFrame,
    clicks: pd.DataFrame,
    start: np.datetime64,
    parts: ExportParts,
) -> None:
    """LinkedIn Marketing API shapes: epoch milliseconds, URNs, date-range objects."""
    campaigns = ads[ads.platform == "linkedin"]
    start_ms = int((start - np.datetime64(0, "s")) / np.timedelta64(1, "ms"))
    writer.write(
        _contract("linkedin_ads_campaigns"),
        pd.DataFrame(
            {
                "id": campaigns.ad_campaign_id.astype("int64"),
                "name": campaigns.name,
                "status": "ACTIVE",
                "type": "SPONSORED_UPDATES",
                "costType": "CPC",
                "account": "urn:li:sponsoredAccount:508000111",
                "runSchedule": json.dumps({"start": start_ms}),
                "utm_campaign": campaigns.utm_campaign,
                "currency": campaigns.currency,
                "lastModified": start_ms,
            }
        ),
        parts.full,
    )
    writer.write(_contract("linkedin_ads_analytics"), linkedin_analytics_frame(daily), parts.full)
    writer.write(_contract("linkedin_ads_clicks"), linkedin_clicks_frame(clicks), parts.full)


# ------------------------------------------------------------------ the platforms' report rows
# Pure frame builders from the tagged clicks and the daily stats (rows of every platform; each
# keeps its own): the full exports and the nightly deltas (``generate.nights``) share them.
def google_stats_frame(daily: pd.DataFrame) -> pd.DataFrame:
    stats = daily[daily.platform == "google"]
    return pd.DataFrame(
        {
            "segments_date": stats.day,
            "campaign_id": stats.ad_campaign_id.astype("int64"),
            "metrics_impressions": stats.impressions,
            "metrics_clicks": stats.clicks,
            "metrics_cost_micros": (stats.spend * 1_000_000).round().astype("int64"),
            "customer_currency_code": stats.currency,
            "_off": 0,
        }
    )


def google_clicks_frame(clicks: pd.DataFrame) -> pd.DataFrame:
    google_clicks = clicks[clicks.platform == "google"]
    return pd.DataFrame(
        {
            "click_view_gclid": google_clicks.click_id,
            "segments_date": google_clicks.day,
            "click_time": google_clicks.ts,
            "campaign_id": google_clicks.ad_campaign_id.astype("int64"),
            "ad_group_id": google_clicks.ad_campaign_id.astype("int64") * 10 + 1,
            "keyword_text": np.where(
                google_clicks.medium == "cpc", "revenue attribution software", None
            ),
            "landing_page_url": google_clicks.url,
            "_off": 0,
        }
    )


def meta_insights_frame(daily: pd.DataFrame) -> pd.DataFrame:
    insights = daily[daily.platform == "meta"]
    return pd.DataFrame(
        {
            "campaign_id": insights.ad_campaign_id,
            "campaign_name": insights.name,
            "date_start": insights.day,
            "date_stop": insights.day,
            "impressions": insights.impressions,
            "clicks": insights.clicks,
            "spend": insights.spend,
            "account_currency": insights.currency,
        }
    )


def meta_clicks_frame(clicks: pd.DataFrame) -> pd.DataFrame:
    meta_clicks = clicks[clicks.platform == "meta"]
    return pd.DataFrame(
        {
            "fbclid": meta_clicks.click_id,
            "campaign_id": meta_clicks.ad_campaign_id,
            "adset_id": meta_clicks.ad_campaign_id + "01",
            "click_time": meta_clicks.ts,
            "landing_page_url": meta_clicks.url,
        }
    )


def linkedin_analytics_frame(daily: pd.DataFrame) -> pd.DataFrame:
    analytics = daily[daily.platform == "linkedin"]
    return pd.DataFrame(
        {
            "pivotValues": [
                '["urn:li:sponsoredCampaign:' + campaign_id + '"]'
                for campaign_id in analytics.ad_campaign_id
            ],
            "dateRange": [_date_range(day) for day in pd.to_datetime(analytics.day)],
            "impressions": analytics.impressions,
            "clicks": analytics.clicks,
            "costInLocalCurrency": analytics.spend,
        }
    )


def linkedin_clicks_frame(clicks: pd.DataFrame) -> pd.DataFrame:
    linkedin_clicks = clicks[clicks.platform == "linkedin"]
    return pd.DataFrame(
        {
            "li_fat_id": linkedin_clicks.click_id,
            "campaign": "urn:li:sponsoredCampaign:" + linkedin_clicks.ad_campaign_id,
            "clickedAt": linkedin_clicks.ts.to_numpy().astype("datetime64[ms]").astype("int64"),
            "landingPageUrl": linkedin_clicks.url,
        }
    )
