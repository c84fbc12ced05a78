"""The five stand-in APIs' answers, in their published shapes (see ``server`` for the servers):
Salesforce REST, Stripe, Google Ads, Meta Graph and LinkedIn Rest.li. Each route takes the
stand-ins, the method, the split URL, the body and the headers, and returns the status, the JSON
payload and extra headers. Write-back paths go to ``push`` (after the route's auth checks)."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import secrets
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode

from dagster_project.lib.connectors.salesforce import API_VERSION as SF_VERSION
from dagster_project.lib.connectors.salesforce import SOBJECTS
from dagster_project.standins import bulk, push

if TYPE_CHECKING:
    from dagster_project.standins.server import StandIns

APIS = ("salesforce", "stripe", "google_ads", "meta_ads", "linkedin_ads")

# The stand-ins' credentials: test values, not secrets (the real ones come from the environment).
CREDENTIALS = {
    "salesforce": {
        "client_id": "3MVG9standin",
        "client_secret": "sf-standin-secret-2f9c",
        "refresh_token": "5Aep861standinRefresh",
    },
    "stripe": {"api_key": "sk_test_51StandInKey0000000000abcd"},
    "google_ads": {
        "developer_token": "standin-dev-token-77",
        "client_id": "standin.apps",
        "client_secret": "GOCSPX-standin",
        "refresh_token": "1//standin-refresh",
        "customer_id": "123-456-7890",
        "login_customer_id": "111-222-3333",
    },
    "meta_ads": {"access_token": "EAAGstandinMetaToken", "ad_account_id": "act_1200000000"},
    "linkedin_ads": {
        "access_token": "AQXstandinLinkedInToken",
        "ad_account_id": "urn:li:sponsoredAccount:508000111",
    },
}
SOBJECT_TO_OBJECT = {v: k for k, v in SOBJECTS.items()}


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value))


def _bearer(standins: StandIns, api: str, headers: Any) -> bool:
    auth = headers.get("Authorization") or ""
    token = auth.removeprefix("Bearer ").strip()
    if api in ("salesforce", "google_ads"):
        return token in standins.tokens[api]
    return token == next(v for k, v in CREDENTIALS[api].items() if k in ("api_key", "access_token"))


def _params(parts: Any) -> dict[str, list[str]]:
    return parse_qs(parts.query, keep_blank_values=True)


def _page(rows: list, offset: int, size: int, empty_last: bool = False) -> tuple[list, int | None]:
    """A page of ``rows`` and the offset of the next page (None: the last page). With
    ``empty_last`` the last rows are followed by one more, empty page, as some APIs answer."""
    chunk = rows[offset : offset + size]
    more = offset + size < len(rows) or (empty_last and offset < len(rows))
    return chunk, (offset + size if more else None)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _offset(token: str | None) -> int:
    if not token:
        return 0
    padded = token + "=" * (-len(token) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":")[1])


# ------------------------------------------------------------------------------------ Salesforce
def _sf_time(value: Any) -> str | None:
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _sf_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _sf_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _sf_stamp(record: dict[str, Any]) -> datetime:
    return record.get("LastModifiedDate") or record.get("CreatedDate")


def _salesforce(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    path = parts.path
    if path == "/services/oauth2/token" and method == "POST":
        form = {k: v[0] for k, v in parse_qs(body).items()}
        creds = CREDENTIALS["salesforce"]
        ok = (
            form.get("client_id") == creds["client_id"]
            and form.get("client_secret") == creds["client_secret"]
        )
        if form.get("grant_type") == "refresh_token":
            ok = ok and form.get("refresh_token") == creds["refresh_token"]
        if not ok:
            return (
                400,
                {"error": "invalid_client", "error_description": "invalid client credentials"},
                {},
            )
        token = standins._issue("salesforce")
        return (
            200,
            {
                "access_token": token,
                "instance_url": standins.url("salesforce"),
                "id": "https://login.salesforce.com/id/00D/005",
                "token_type": "Bearer",
                "issued_at": str(int(datetime.now(UTC).timestamp() * 1000)),
                "signature": "standin",
            },
            {},
        )
    if not _bearer(standins, "salesforce", headers):
        return (
            401,
            [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
            {},
        )
    base = f"/services/data/{SF_VERSION}/"
    if path.startswith(base + "jobs/ingest"):
        return bulk.salesforce_bulk(standins, method, parts, body, headers)
    if path.startswith(base + "query/"):
        locator, _, offset = path.rsplit("/", 1)[1].rpartition("-")
        rows = standins.locators.get(locator)
        if rows is None:
            return (
                400,
                [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}],
                {},
            )
        return 200, _sf_page(standins, locator, rows, int(offset), headers), {}
    verb = path.removeprefix(base)
    if verb not in ("query", "queryAll"):
        return (
            404,
            [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
            {},
        )
    soql = _params(parts)["q"][0]
    found = re.match(r"SELECT (.+) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (.+))?$", soql)
    if not found:
        return 400, [{"message": f"unexpected SOQL {soql!r}", "errorCode": "MALFORMED_QUERY"}], {}
    fields = [f.strip() for f in found.group(1).split(",")]
    sobject, where = found.group(2), found.group(3) or ""
    since = re.search(r"SystemModstamp > (\d{4}-\d\d-\d\dT[\d:.]+Z)", where)
    after_id = re.search(r"Id > '([^']+)'", where)
    until = re.search(r"SystemModstamp <= (\d{4}-\d\d-\d\dT[\d:.]+Z)", where)
    ceiling = datetime.fromisoformat(until.group(1).replace("Z", "+00:00")) if until else None
    floor = datetime.fromisoformat(since.group(1).replace("Z", "+00:00")) if since else None
    obj = SOBJECT_TO_OBJECT[sobject]
    with standins.world.lock:
        records = list(standins.world.records[obj])
    out = []
    for record in records:
        if verb == "query" and record.get("IsDeleted"):
            continue
        stamp = _sf_stamp(record).astimezone(UTC)
        stamp = stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)  # (milliseconds)
        if ceiling is not None and stamp > ceiling:
            continue
        if floor is not None:
            newer = stamp > floor or (
                after_id and stamp == floor and record["Id"] > after_id.group(1)
            )
            if not newer:
                continue
        out.append((stamp, record["Id"], record))
    out.sort(key=lambda t: (t[0], t[1]))

    def row_of(item: tuple[datetime, str, dict[str, Any]]) -> dict[str, Any]:
        stamp, rid, record = item
        row = {"attributes": {"type": sobject, "url": f"{base}sobjects/{sobject}/{rid}"}}
        for name in fields:
            if name == "SystemModstamp":
                row[name] = _sf_time(stamp)
            elif "." in name:
                rel, sub = name.split(".", 1)
                value = record.get(rel)
                row[rel] = (
                    None
                    if value is None
                    else {
                        "attributes": {"type": rel, "url": f"{base}sobjects/{rel}/00E"},
                        sub: value,
                    }
                )
            else:
                row[name] = _sf_value(record.get(name))
        return row

    rows = (out, row_of)  # (records are written page by page)
    locator = f"01g{secrets.token_hex(6)}"
    standins.locators[locator] = rows
    return 200, _sf_page(standins, locator, rows, 0, headers), {}


def _sf_page(standins: StandIns, locator: str, rows: tuple, offset: int, headers: Any) -> dict:
    options = headers.get("Sforce-Query-Options") or ""
    size = int(m.group(1)) if (m := re.search(r"batchSize=(\d+)", options)) else 2000
    items, row_of = rows
    # (the real API takes 200 to 2,000; the stand-in also honours smaller sizes, for tests)
    chunk, nxt = _page(items, offset, min(size, 2000), standins.empty_last_page)
    page = {"totalSize": len(items), "done": nxt is None, "records": [row_of(i) for i in chunk]}
    if nxt is not None:
        page["nextRecordsUrl"] = f"/services/data/{SF_VERSION}/query/{locator}-{nxt}"
    else:  # the query is done: its locator is released, as Salesforce does
        standins.locators.pop(locator, None)
    return page


# ---------------------------------------------------------------------------------------- Stripe
def _created_ok(record: dict[str, Any], params: dict[str, list[str]], key: str = "created") -> bool:
    created = record.get(key)
    bounds = {
        op: int(params[f"{key}[{op}]"][0])
        for op in ("gt", "gte", "lt", "lte")
        if f"{key}[{op}]" in params
    }
    if not isinstance(created, int):  # a surprising value: listed only without a lower bound
        return "gt" not in bounds and "gte" not in bounds
    return all(
        {"gt": created > v, "gte": created >= v, "lt": created < v, "lte": created <= v}[op]
        for op, v in bounds.items()
    )


def _stripe_list(
    rows: list[dict[str, Any]], params: dict[str, list[str]], url: str, empty_last: bool = False
) -> dict:
    rows = [r for r in rows if _created_ok(r, params)]
    rows.sort(
        key=lambda r: (r["created"] if isinstance(r.get("created"), int) else -1, r["id"]),
        reverse=True,
    )
    limit = max(1, min(int(params.get("limit", ["10"])[0]), 100))
    start = 0
    if "starting_after" in params:
        ids = [r["id"] for r in rows]
        start = ids.index(params["starting_after"][0]) + 1
    chunk, nxt = _page(rows, start, limit, empty_last)
    return {"object": "list", "data": chunk, "has_more": nxt is not None, "url": url}


def _stripe(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    if not _bearer(standins, "stripe", headers):
        key = (headers.get("Authorization") or "").removeprefix("Bearer ")
        return (
            401,
            {
                "error": {
                    "message": f"Invalid API Key provided: {key[:8]}****{key[-4:]}",
                    "type": "invalid_request_error",
                }
            },
            {},
        )
    params = _params(parts)
    name = parts.path.removeprefix("/v1/")
    if name == "events":
        types, patterns = set(params.get("types[]", [])), params.get("type", [])

        def wanted(kind: str) -> bool:  # ``type`` takes a * wildcard, ``types[]`` names
            if not types and not patterns:
                return True
            return kind in types or any(fnmatch.fnmatchcase(kind, p) for p in patterns)

        with standins.world.lock:
            events = [e for e in standins.world.events if wanted(e["type"])]
        return 200, _stripe_list(events, params, "/v1/events", standins.empty_last_page), {}
    if name not in ("customers", "subscriptions", "invoices", "charges", "refunds"):
        return (
            404,
            {
                "error": {
                    "message": f"Unrecognized request URL (GET: {parts.path})",
                    "type": "invalid_request_error",
                }
            },
            {},
        )
    with standins.world.lock:
        rows = list(standins.world.records[name])
    if name == "subscriptions" and params.get("status", [""])[0] != "all":
        rows = [r for r in rows if r.get("status") != "canceled"]
    return 200, _stripe_list(rows, params, parts.path, standins.empty_last_page), {}


# ------------------------------------------------------------------------------------ Google Ads
def _google_campaign(record: dict[str, Any], customer: str) -> dict[str, Any]:
    campaign = {
        "resourceName": f"customers/{customer}/campaigns/{record['campaign_id']}",
        "id": str(record["campaign_id"]),
    }
    for key, column in (
        ("name", "campaign_name"),
        ("status", "campaign_status"),
        ("advertisingChannelType", "advertising_channel_type"),
        ("startDate", "start_date"),
        ("endDate", "end_date"),
        ("finalUrlSuffix", "final_url_suffix"),
    ):
        value = record.get(column)
        if value not in (None, ""):  # proto3 JSON leaves out unset and default values
            campaign[key] = value.isoformat() if isinstance(value, date) else value
    return campaign


def _google(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    if parts.path == "/token" and method == "POST":
        form = {k: v[0] for k, v in parse_qs(body).items()}
        creds = CREDENTIALS["google_ads"]
        if (form.get("refresh_token"), form.get("client_secret")) != (
            creds["refresh_token"],
            creds["client_secret"],
        ):
            return 400, {"error": "invalid_grant", "error_description": "Bad Request"}, {}
        return (
            200,
            {
                "access_token": standins._issue("google_ads"),
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/adwords",
                "token_type": "Bearer",
            },
            {},
        )
    status = {
        "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials.",
            "status": "UNAUTHENTICATED",
        }
    }
    if not _bearer(standins, "google_ads", headers):
        return 401, status, {}
    if headers.get("developer-token") != CREDENTIALS["google_ads"]["developer_token"]:
        status["error"].update(
            code=403, status="PERMISSION_DENIED", message="The developer token is not valid."
        )
        return 403, status, {}
    if parts.path.endswith(":uploadClickConversions"):
        return push.google_upload(standins, method, parts, body, headers)
    found = re.match(r"^/v\d+/customers/(\d+)/googleAds:search$", parts.path)
    if method != "POST" or not found:
        return 404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}, {}
    customer = found.group(1)
    request = json.loads(body or "{}")
    query = request.get("query", "")
    currency = {"resourceName": f"customers/{customer}"}
    with standins.world.lock:
        campaigns = list(standins.world.records["google_ads_campaigns"])
        stats = list(standins.world.records["google_ads_campaign_stats"])
    rows = []
    if "metrics." in query:
        between = re.search(r"BETWEEN '(\d{4}-\d\d-\d\d)' AND '(\d{4}-\d\d-\d\d)'", query)
        first, last = (date.fromisoformat(between.group(i)) for i in (1, 2))
        for r in sorted(stats, key=lambda r: (r["segments_date"], r["campaign_id"])):
            if not first <= r["segments_date"] <= last:
                continue
            metrics = {
                k: str(r[c])
                for k, c in (
                    ("clicks", "metrics_clicks"),
                    ("costMicros", "metrics_cost_micros"),
                    ("impressions", "metrics_impressions"),
                )
                if r.get(c)
            }
            rows.append(
                {
                    "customer": currency | {"currencyCode": r["customer_currency_code"]},
                    "campaign": {
                        "resourceName": f"customers/{customer}/campaigns/{r['campaign_id']}",
                        "id": str(r["campaign_id"]),
                    },
                    "metrics": metrics,
                    "segments": {"date": r["segments_date"].isoformat()},
                }
            )
        mask = "segments.date,campaign.id,metrics.impressions,metrics.clicks,metrics.costMicros"
    else:
        for r in sorted(campaigns, key=lambda r: r["campaign_id"]):
            rows.append(
                {
                    "customer": currency | {"currencyCode": r["customer_currency_code"]},
                    "campaign": _google_campaign(r, customer),
                }
            )
        mask = "campaign.id,campaign.name,campaign.status,campaign.advertisingChannelType"
    offset = _offset(request.get("pageToken"))
    chunk, nxt = _page(rows, offset, standins.page_sizes["google_ads"], standins.empty_last_page)
    page: dict[str, Any] = {"results": chunk, "fieldMask": mask}
    if nxt is not None:
        page["nextPageToken"] = _token(nxt)
    return 200, page, {}


# ------------------------------------------------------------------------------------------ Meta
def _meta_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)  # the Graph API writes numbers as strings
    return value


def _meta(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    if re.match(r"^/v[\d.]+/[^/]+/events$", parts.path):  # (its token may be in the body)
        return push.meta_events(standins, method, parts, body, headers)
    params = _params(parts)
    token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
    token = token or params.get("access_token", [""])[0]
    if token != CREDENTIALS["meta_ads"]["access_token"]:
        return (
            400,
            {
                "error": {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException",
                    "code": 190,
                    "fbtrace_id": "Astandin",
                }
            },
            {},
        )
    found = re.match(r"^/v[\d.]+/(act_\d+)(/campaigns|/insights)?$", parts.path)
    if not found:
        return (
            400,
            {
                "error": {
                    "message": "Unsupported get request.",
                    "type": "GraphMethodException",
                    "code": 100,
                }
            },
            {},
        )
    with standins.world.lock:
        campaigns = list(standins.world.records["meta_ads_campaigns"])
        insights = list(standins.world.records["meta_ads_insights"])
    fields = params.get("fields", [""])[0].split(",")
    if found.group(2) is None:
        currency = Counter(c["account_currency"] for c in campaigns).most_common(1)
        return 200, {"currency": currency[0][0] if currency else "USD", "id": found.group(1)}, {}
    if found.group(2) == "/campaigns":
        rows = sorted(campaigns, key=lambda r: r["id"])
    else:
        span = json.loads(
            params.get("time_range", ['{"since": "1970-01-01", "until": "2999-12-31"}'])[0]
        )
        first, last = date.fromisoformat(span["since"]), date.fromisoformat(span["until"])
        rows = sorted(
            (r for r in insights if first <= r["date_start"] <= last),
            key=lambda r: (r["date_start"], r["campaign_id"]),
        )
    rows = [{f: _meta_value(r.get(f)) for f in fields if f in r} for r in rows]
    limit = int(params.get("limit", ["25"])[0])
    offset = _offset(params.get("after", [None])[0])
    chunk, nxt = _page(rows, offset, limit, standins.empty_last_page)
    paging: dict[str, Any] = {
        "cursors": {"before": _token(offset), "after": _token(offset + len(chunk))}
    }
    if nxt is not None:
        query = {k: v[0] for k, v in params.items()} | {"after": _token(nxt)}
        paging["next"] = f"{standins.url('meta_ads')}{parts.path}?{urlencode(query)}"
    return 200, {"data": chunk, "paging": paging}, {}


# -------------------------------------------------------------------------------------- LinkedIn
def _linkedin(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    if not headers.get("LinkedIn-Version"):
        return (
            400,
            {
                "status": 400,
                "code": "VERSION_MISSING",
                "message": "A version must be present. Please specify a version by adding "
                "the LinkedIn-Version header.",
            },
            {},
        )
    if not _bearer(standins, "linkedin_ads", headers):
        return (
            401,
            {
                "status": 401,
                "serviceErrorCode": 65600,
                "code": "INVALID_ACCESS_TOKEN",
                "message": "Invalid access token",
            },
            {},
        )
    if parts.path == "/rest/conversionEvents":
        return push.linkedin_conversions(standins, method, parts, body, headers)
    params = _params(parts)
    with standins.world.lock:
        campaigns = list(standins.world.records["linkedin_ads_campaigns"])
        analytics = list(standins.world.records["linkedin_ads_analytics"])
    if re.match(r"^/rest/adAccounts/\d+/adCampaigns$", parts.path):
        rows = []
        for r in sorted(campaigns, key=lambda r: r["id"]):
            row = {k: v for k, v in r.items() if k not in ("currency", "lastModified")}
            row["unitCost"] = {"currencyCode": r["currency"]}
            row["changeAuditStamps"] = {"lastModified": {"time": r["lastModified"]}}
            rows.append(row)
        size = int(params.get("pageSize", ["100"])[0])
        offset = _offset(params.get("pageToken", [None])[0])
        chunk, nxt = _page(rows, offset, size, standins.empty_last_page)
        meta = {"nextPageToken": _token(nxt)} if nxt is not None else {}
        return 200, {"elements": chunk, "metadata": meta}, {}
    if parts.path == "/rest/adAnalytics":
        raw = unquote(parts.query)
        found = re.search(
            r"dateRange=\(start:\(year:(\d+),month:(\d+),day:(\d+)\),"
            r"end:\(year:(\d+),month:(\d+),day:(\d+)\)\)",
            raw,
        )
        if not found:
            return 400, {"status": 400, "code": "ILLEGAL_ARGUMENT", "message": "dateRange"}, {}
        g = [int(x) for x in found.groups()]
        first, last = date(g[0], g[1], g[2]), date(g[3], g[4], g[5])

        def day(r: dict[str, Any]) -> date:
            s = r["dateRange"]["start"]
            return date(s["year"], s["month"], s["day"])

        rows = []
        for r in sorted(analytics, key=lambda r: (day(r), r["pivotValues"])):
            if first <= day(r) <= last:
                rows.append({**r, "costInLocalCurrency": str(r["costInLocalCurrency"])})
        return 200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": rows}, {}
    return 404, {"status": 404, "message": "Not Found"}, {}


ROUTES = {
    "salesforce": _salesforce,
    "stripe": _stripe,
    "google_ads": _google,
    "meta_ads": _meta,
    "linkedin_ads": _linkedin,
}
