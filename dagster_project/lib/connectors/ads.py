"""The ad platforms' APIs: Google Ads API v21, Meta Marketing API v23.0, LinkedIn Marketing API
(``LinkedIn-Version: 202510``, Rest.li 2.0).

Per platform two streams: the campaign list, fetched whole every night as one snapshot (an
unchanged list loads nothing, a changed one replaces the stored one), and daily campaign metrics.
Metrics are restated for days (late clicks, invalid-traffic credits), so each night fetches from
the last day stored minus ``lookback_days`` through today as one load; the latest fetch of a day
wins in staging (as the latest export does). The first run starts at ``start_date``.

Click records (Google's gclid, Meta's fbclid, LinkedIn's li_fat_id, with the click time and the
landing page) come from the website's tag, not from these APIs (Google's ``click_view`` has the
gclid but neither the click time nor the landing page, one day per query, for 90 days), so the
``*_clicks`` objects keep arriving as files in every mode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from dlt.sources.helpers.rest_client.paginators import (
    JSONLinkPaginator,
    JSONResponseCursorPaginator,
    SinglePagePaginator,
)

from dagster_project.lib.connectors.commit import ApiBatch, project
from dagster_project.lib.connectors.http import (
    ApiConnector,
    RetryPolicy,
    bearer,
    oauth,
)
from dagster_project.lib.landing.contracts import Contract

GOOGLE_ADS_VERSION = "v21"  # campaign.start_date / end_date (v23 renames them *_date_time)
META_VERSION = "v23.0"
LINKEDIN_VERSION = "202510"


@dataclass(frozen=True)
class DailyWindow:
    """Which days a metrics run fetches."""

    start_date: date
    lookback_days: int = 7
    today: date | None = None

    def days(self, state: dict[str, Any]) -> tuple[date, date]:
        end = self.today or datetime.now(UTC).date()
        through = state.get("through")
        if through is None:
            return self.start_date, end
        first = date.fromisoformat(through) - timedelta(days=self.lookback_days)
        return max(first, self.start_date), end


def _window(rows: list[dict[str, Any]], request: str, end: date) -> ApiBatch:
    """The days fetched as one batch (a load of its own); the latest fetch of a day wins in
    staging, as the latest export does."""
    return ApiBatch(request=request, records=rows, state={"through": end.isoformat()})


# ------------------------------------------------------------------------------------ Google Ads
GOOGLE_QUERIES = {
    "google_ads_campaigns": (
        "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, "
        "campaign.start_date, campaign.end_date, campaign.final_url_suffix, "
        "customer.currency_code FROM campaign ORDER BY campaign.id",
        {
            "campaign_id": "campaign.id",
            "campaign_name": "campaign.name",
            "campaign_status": "campaign.status",
            "advertising_channel_type": "campaign.advertisingChannelType",
            "start_date": "campaign.startDate",
            "end_date": "campaign.endDate",
            "final_url_suffix": "campaign.finalUrlSuffix",
            "customer_currency_code": "customer.currencyCode",
        },
    ),
    "google_ads_campaign_stats": (
        "SELECT segments.date, campaign.id, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, customer.currency_code FROM campaign "
        "WHERE segments.date BETWEEN '{first}' AND '{last}' ORDER BY segments.date, campaign.id",
        {
            "segments_date": "segments.date",
            "campaign_id": "campaign.id",
            "metrics_impressions": "metrics.impressions",
            "metrics_clicks": "metrics.clicks",
            "metrics_cost_micros": "metrics.costMicros",
            "customer_currency_code": "customer.currencyCode",
        },
    ),
}


@dataclass
class GoogleAdsConnector(ApiConnector):
    customer_id: str
    developer_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    window: DailyWindow
    login_customer_id: str | None = None
    base_url: str = "https://googleads.googleapis.com"
    token_url: str = "https://oauth2.googleapis.com/token"
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        headers = {"developer-token": self.developer_token}
        if self.login_customer_id:
            headers["login-customer-id"] = self.login_customer_id.replace("-", "")
        self.auth = oauth(self.token_url, self.client_id, self.client_secret, self.refresh_token)
        self.connect(
            self.base_url,
            (self.developer_token, self.client_secret, self.refresh_token),
            self.retry,
            auth=self.auth,
            headers=headers,
            paginator=JSONResponseCursorPaginator(
                cursor_path="nextPageToken", cursor_body_path="pageToken"
            ),
        )

    @staticmethod
    def handles(contract: Contract) -> bool:
        return contract.object in GOOGLE_QUERIES

    def _search(self, query: str, paths: dict[str, str]) -> tuple[str, list[dict[str, Any]]]:
        customer = self.customer_id.replace("-", "")
        path = f"/{GOOGLE_ADS_VERSION}/customers/{customer}/googleAds:search"
        hooks = self.hooks(f"Google Ads {path}")
        rows: list[dict[str, Any]] = []
        request = f"{self.base_url.rstrip('/')}{path}?{urlencode({'query': query})}"
        for page in self.client.paginate(
            path, method="POST", json={"query": query}, hooks=hooks, data_selector="results"
        ):
            rows.extend(project(r, paths, drop=("resourceName",)) for r in page)
        # proto3 JSON leaves out a field at its default: a metric that is absent is 0
        metrics = [column for column, path in paths.items() if path.startswith("metrics.")]
        for row in rows:
            for column in metrics:
                if row[column] is None:
                    row[column] = "0"
        return request, rows

    def batches(self, contract: Contract, state: dict[str, Any]) -> Iterator[ApiBatch]:
        query, paths = GOOGLE_QUERIES[contract.object]
        if contract.object == "google_ads_campaigns":
            request, rows = self._search(query, paths)
            yield ApiBatch(request=request, records=rows, snapshot=True)
            return
        first, last = self.window.days(state)
        request, rows = self._search(query.format(first=first, last=last), paths)
        yield _window(rows, request, last)


# ------------------------------------------------------------------------------------------ Meta
META_CAMPAIGN_FIELDS = (
    "id",
    "name",
    "objective",
    "status",
    "start_time",
    "stop_time",
    "url_tags",
    "updated_time",
)
META_INSIGHT_FIELDS = (
    "campaign_id",
    "campaign_name",
    "date_start",
    "date_stop",
    "impressions",
    "clicks",
    "spend",
    "account_currency",
)


@dataclass
class MetaAdsConnector(ApiConnector):
    ad_account_id: str
    access_token: str
    window: DailyWindow
    base_url: str = "https://graph.facebook.com"
    page_size: int = 500
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        self.connect(
            self.base_url,
            (self.access_token,),
            self.retry,
            auth=bearer(self.access_token),
            paginator=JSONLinkPaginator(next_url_path="paging.next"),
        )
        account = self.ad_account_id
        self.account_path = (
            f"/{META_VERSION}/{account if account.startswith('act_') else 'act_' + account}"
        )

    @staticmethod
    def handles(contract: Contract) -> bool:
        return contract.object in ("meta_ads_campaigns", "meta_ads_insights")

    def _pages(self, path: str, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        hooks = self.hooks(f"Meta {path}")
        rows: list[dict[str, Any]] = []
        first = None
        for page in self.client.paginate(path, params=params, hooks=hooks, data_selector="data"):
            first = first or page.response.url
            rows.extend(project(r, {}) for r in page)
        return first or f"{self.base_url}{path}", rows

    def batches(self, contract: Contract, state: dict[str, Any]) -> Iterator[ApiBatch]:
        if contract.object == "meta_ads_campaigns":
            hooks = self.hooks(f"Meta {self.account_path}")
            currency = self.client.get(
                self.account_path, params={"fields": "currency"}, hooks=hooks
            ).json()["currency"]
            request, rows = self._pages(
                f"{self.account_path}/campaigns",
                {"fields": ",".join(META_CAMPAIGN_FIELDS), "limit": self.page_size},
            )
            for row in rows:  # the ad account's currency, which every campaign spends in
                row.setdefault("account_currency", currency)
            yield ApiBatch(request=request, records=rows, snapshot=True)
            return
        first, last = self.window.days(state)
        request, rows = self._pages(
            f"{self.account_path}/insights",
            {
                "level": "campaign",
                "time_increment": 1,
                "fields": ",".join(META_INSIGHT_FIELDS),
                "time_range": json.dumps({"since": str(first), "until": str(last)}),
                "limit": self.page_size,
            },
        )
        yield _window(rows, request, last)


# -------------------------------------------------------------------------------------- LinkedIn
def _restli_date(day: date) -> str:
    return f"(year:{day.year},month:{day.month},day:{day.day})"


@dataclass
class LinkedInAdsConnector(ApiConnector):
    ad_account_id: str
    access_token: str
    window: DailyWindow
    base_url: str = "https://api.linkedin.com"
    page_size: int = 100
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        self.connect(
            self.base_url,
            (self.access_token,),
            self.retry,
            auth=bearer(self.access_token),
            headers={"LinkedIn-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": "2.0.0"},
        )

    @staticmethod
    def handles(contract: Contract) -> bool:
        return contract.object in ("linkedin_ads_campaigns", "linkedin_ads_analytics")

    def batches(self, contract: Contract, state: dict[str, Any]) -> Iterator[ApiBatch]:
        account = self.ad_account_id.rsplit(":", 1)[-1]
        if contract.object == "linkedin_ads_campaigns":
            path = f"/rest/adAccounts/{account}/adCampaigns"
            hooks = self.hooks(f"LinkedIn {path}")
            rows: list[dict[str, Any]] = []
            first = None
            paginator = JSONResponseCursorPaginator(
                cursor_path="metadata.nextPageToken", cursor_param="pageToken"
            )
            for page in self.client.paginate(
                path,
                params={"q": "search", "pageSize": self.page_size},
                hooks=hooks,
                paginator=paginator,
                data_selector="elements",
            ):
                first = first or page.response.url
                rows.extend(
                    project(
                        r,
                        {
                            "lastModified": "changeAuditStamps.lastModified.time",
                            "currency": "unitCost.currencyCode",
                        },
                    )
                    for r in page
                )
            yield ApiBatch(request=first, records=rows, snapshot=True)
            return
        first_day, last_day = self.window.days(state)
        urn = quote(f"urn:li:sponsoredAccount:{account}", safe="")
        # Rest.li 2.0: the structure characters stay as they are, values are encoded
        url = (
            f"{self.base_url.rstrip('/')}/rest/adAnalytics?q=analytics&pivot=CAMPAIGN"
            f"&timeGranularity=DAILY&dateRange=(start:{_restli_date(first_day)},"
            f"end:{_restli_date(last_day)})&accounts=List({urn})"
            "&fields=dateRange,pivotValues,impressions,clicks,costInLocalCurrency"
        )
        hooks = self.hooks("LinkedIn /rest/adAnalytics")
        rows = []
        for page in self.client.paginate(
            url, hooks=hooks, paginator=SinglePagePaginator(), data_selector="elements"
        ):
            rows.extend(project(r, {}) for r in page)
        yield _window(rows, url, last_day)
