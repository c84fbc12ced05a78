"""Stand-ins of the ad platforms' conversion APIs the warehouse pushes outcomes to, answering in
their published shapes and refusing a malformed request with the error the real API gives (the
Salesforce Bulk API 2.0 is in ``bulk``).

- Google Ads API v21 ``ConversionUploadService.UploadClickConversions`` (googleapis
  ``google/ads/googleads/v21/services/conversion_upload_service.proto``, ``errors/
  conversion_upload_error.proto``, ``partial_failure_error.proto``, ``date_error.proto``,
  ``internal_error.proto``): REST ``POST /v21/customers/{id}:uploadClickConversions`` in proto3
  JSON (int64 ``jobId`` as a string, ``{}`` for a failed row), ``partialFailureError`` a
  ``google.rpc.Status`` carrying a ``GoogleAdsFailure``.
- Meta Conversions API (developers.facebook.com "Server Event Parameters", "Customer Information
  Parameters"): ``POST /v23.0/{pixel_id}/events``; one bad event fails the request (code 100,
  ``error_subcode`` 2804003 "Event Timestamp Too Old", 2804050 too little customer information);
  success ``{events_received, messages, fbtrace_id}``.
- LinkedIn Conversions API (learn.microsoft.com "Conversions API", "Conversions API Schema"):
  ``POST /rest/conversionEvents``, one event (201, no body) or ``X-RestLi-Method: BATCH_CREATE``
  with ``elements`` (200, ``{"elements": [{"status": 201}, ...]}``).

Tests set the clock (``StandIns.now``), script failures (``google_fail_once``) and read
``conversions``.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from dagster_project.standins.server import StandIns
    from dagster_project.standins.world import SampleWorld

# The stand-in accounts' conversion destinations (test values, like apis.CREDENTIALS).
GOOGLE_CONVERSION_ACTION_ID = "6500000001"
META_PIXEL_ID = "1500000000000001"
LINKEDIN_CONVERSION_ID = "17000001"
PLATFORMS = ("google_ads", "meta_ads", "linkedin_ads")

SHA256 = re.compile(r"[0-9a-f]{64}")


def load_clicks(world: SampleWorld, landing: Path) -> None:
    """Add Google's click records (``google_ads_clicks``, files from the website's tag; Google
    knows its own clicks) to ``world.records``: the conversion upload looks gclids up there."""
    import duckdb

    from dagster_project.lib.landing.contracts import get_contract
    from dagster_project.lib.landing.loader import load_object
    from dagster_project.standins.world import _current_records

    con = duckdb.connect()
    contract = get_contract("ads", "google_ads_clicks")
    load_object(con, contract, Path(landing))
    world.records["google_ads_clicks"] = _current_records(con, contract)
    con.close()


def duplicates(standins: StandIns, platform: str) -> list[tuple]:
    """Conversions a platform received more than once (same click or event id and time)."""
    key = {
        "google_ads": lambda c: (c.get("gclid"), c["conversionAction"], c["conversionDateTime"]),
        "meta_ads": lambda e: (e["event_name"], e.get("event_id") or e["event_time"]),
        "linkedin_ads": lambda e: (e["conversion"], e.get("eventId") or e["conversionHappenedAt"]),
    }[platform]
    counts = Counter(key(c) for c in standins.conversions[platform])
    return [k for k, n in counts.items() if n > 1]


def _trace() -> str:
    return "A" + secrets.token_urlsafe(17)[:22]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# ---------------------------------------------------------------------------------- Google Ads
SCALARS = ("gclid", "conversionAction", "conversionDateTime", "currencyCode", "orderId")
CLICK_CONVERSION = SCALARS + ("gbraid", "wbraid", "conversionValue", "externalAttributionData")
CLICK_CONVERSION += ("customVariables", "cartData", "userIdentifiers", "conversionEnvironment")
CLICK_CONVERSION += ("consent", "customerType", "userIpAddress", "sessionAttributesEncoded")
CLICK_CONVERSION += ("sessionAttributesKeyValuePairs",)
# enum -> the start of its published description; the error kind where it isn't
# conversionUploadError
GOOGLE_ERRORS = {
    "REQUIRED": "The required field was not present.",
    "RESOURCE_NAME_MALFORMED": "Resource name is malformed.",
    "INVALID_CUSTOMER_ID": "Customer ID is invalid.",
    "INVALID_LOGIN_CUSTOMER_ID": "The login customer ID could not be validated.",
    "USER_PERMISSION_DENIED": "User doesn't have permission to access customer.",
    "PARTIAL_FAILURE_MODE_REQUIRED": "The partial failure field was false in the request.",
    "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET": "The string date time's format should be "
    "yyyy-mm-dd hh:mm:ss+|-hh:mm.",
    "INVALID_FIELD_VALUES_IN_DATE_TIME": "Given field values do not correspond to a valid date.",
    "UNSUPPORTED": "The currency code is not supported.",
    "TRANSIENT_ERROR": "Google Ads API encountered an unexpected transient error.",
    "TOO_MANY_CONVERSIONS_IN_REQUEST": "Upload fewer than 2001 events in a single request.",
    "INVALID_JOB_ID": "The provided job id in the request is not within the allowed range.",
    "UNPARSEABLE_GCLID": "The imported gclid could not be decoded.",
    "EVENT_NOT_FOUND": "The imported event could not be attributed to a click.",
    "CONVERSION_PRECEDES_EVENT": "The imported event has a `conversion_date_time` that precedes "
    "the click.",
    "EXPIRED_EVENT": "The imported event can't be recorded because its click occurred before "
    "this conversion's click-through window.",
    "TOO_RECENT_EVENT": "The click associated with the given identifier or iOS URL parameter "
    "occurred less than 6 hours ago.",
    "NO_CONVERSION_ACTION_FOUND": "The conversion action specified in the upload request cannot "
    "be found.",
    "INVALID_USER_IDENTIFIER": "Make sure you hash user provided data using SHA-256.",
    "DUPLICATE_CLICK_CONVERSION_IN_REQUEST": "Multiple events have the same click and "
    "`conversion_date_time`.",
    "CLICK_CONVERSION_ALREADY_EXISTS": "The imported event has the same click and "
    "`conversion_date_time` as an existing conversion.",
    "DUPLICATE_ORDER_ID": "Imported events include multiple conversions with the same order ID.",
    "ORDER_ID_ALREADY_IN_USE": "The imported event includes an order ID that was previously "
    "recorded, so the event was not processed.",
}
GOOGLE_KINDS = {"REQUIRED": "fieldError", "UNSUPPORTED": "currencyCodeError"}
GOOGLE_KINDS |= {"RESOURCE_NAME_MALFORMED": "requestError", "INVALID_CUSTOMER_ID": "requestError"}
GOOGLE_KINDS |= {"INVALID_LOGIN_CUSTOMER_ID": "headerError", "TRANSIENT_ERROR": "internalError"}
GOOGLE_KINDS |= {"USER_PERMISSION_DENIED": "authorizationError"}
GOOGLE_KINDS |= {"PARTIAL_FAILURE_MODE_REQUIRED": "partialFailureError"}
GOOGLE_KINDS |= {k: "dateError" for k in GOOGLE_ERRORS if "_DATE_TIME" in k}


def _google_error(code: str, path: list[dict] | None = None) -> dict[str, Any]:
    kind = GOOGLE_KINDS.get(code, "conversionUploadError")
    error = {"errorCode": {kind: code}, "message": GOOGLE_ERRORS[code]}
    return error | ({"location": {"fieldPathElements": path}} if path else {})


def _google_failure(version: str, errors: list[dict]) -> list[dict]:
    failure = f"type.googleapis.com/google.ads.googleads.v{version}.errors.GoogleAdsFailure"
    return [{"@type": failure, "errors": errors, "requestId": secrets.token_urlsafe(16)}]


def _google_rpc(version: str, code: str, status: int = 400):
    """An RPC-level error: the whole request refused (google.rpc.Status with GoogleAdsFailure)."""
    name, text = "INVALID_ARGUMENT", "Request contains an invalid argument."
    if status == 403:
        name, text = "PERMISSION_DENIED", "The caller does not have permission"
    details = _google_failure(version, [_google_error(code)])
    return (
        status,
        {"error": {"code": status, "message": text, "status": name, "details": details}},
        {},
    )


def _bad_json(message: str, field: str = ""):
    """The API front end's answer to JSON that doesn't fit the request message."""
    message = f"Invalid JSON payload received. {message}"
    violation = [{"field": field, "description": message}]
    details = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violation}]
    error = {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "details": details}
    return 400, {"error": error}, {}


def _camel(name: str) -> str:  # proto3 JSON takes both the proto and the lowerCamel field names
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def google_upload(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    """``POST /v21/customers/{customerId}:uploadClickConversions`` (auth checked by the route)."""
    from dagster_project.standins.apis import CREDENTIALS

    found = re.fullmatch(r"/v(\d+)/customers/([^/:]+):uploadClickConversions", parts.path)
    if method != "POST" or not found:
        return 404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}, {}
    version, customer = found.groups()
    login = headers.get("login-customer-id")
    if not customer.isdigit():
        return _google_rpc(version, "INVALID_CUSTOMER_ID")
    if login is not None and not login.isdigit():
        return _google_rpc(version, "INVALID_LOGIN_CUSTOMER_ID")
    if customer != CREDENTIALS["google_ads"]["customer_id"].replace("-", ""):
        return _google_rpc(version, "USER_PERMISSION_DENIED", 403)
    try:
        request = {_camel(k): v for k, v in json.loads(body or "{}").items()}
        conversions = [{_camel(k): v for k, v in c.items()} for c in request["conversions"]]
    except (ValueError, AttributeError, TypeError, KeyError) as exc:
        return _bad_json(f"conversions: a list of ClickConversion is required ({exc!r}).")
    for key in set(request) - {"customerId", "conversions", "partialFailure", "validateOnly"}:
        if key != "jobId":
            return _bad_json(f'Unknown name "{key}": Cannot find field.')
    for i, conversion in enumerate(conversions):
        where = f"conversions[{i}]"
        for key, value in conversion.items():
            if key not in CLICK_CONVERSION:
                return _bad_json(f"Unknown name \"{key}\" at '{where}': Cannot find field.", where)
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if (key in SCALARS and not isinstance(value, str)) or (
                key == "conversionValue" and not number
            ):
                field = where + "." + re.sub("([A-Z])", r"_\1", key).lower()
                return _bad_json(f"Invalid value at '{field}', {json.dumps(value)}", field)
    if request.get("partialFailure") is not True:
        return _google_rpc(version, "PARTIAL_FAILURE_MODE_REQUIRED")
    if len(conversions) > 2000:
        return _google_rpc(version, "TOO_MANY_CONVERSIONS_IN_REQUEST")
    job_id = request.get("jobId")
    if job_id is not None and not (isinstance(job_id, int) and 0 <= job_id < 2**31):
        return _google_rpc(version, "INVALID_JOB_ID")
    with standins._lock:
        answer = _google_process(standins, version, conversions, request.get("validateOnly"))
    answer["jobId"] = str(job_id if job_id is not None else 2**31 + secrets.randbelow(2**40))
    return 200, answer, {}


def _google_process(standins: StandIns, version: str, conversions: list, validate_only: Any):
    with standins.world.lock:
        rows = standins.world.records.get("google_ads_clicks", [])
        clicks = {r["click_view_gclid"]: _utc(r["click_time"]) for r in rows}
    stored = standins.conversions["google_ads"]

    def key(c: dict) -> tuple:
        return c.get("gclid"), c.get("conversionAction"), c.get("conversionDateTime")

    def order(c: dict) -> tuple | None:
        return (c.get("conversionAction"), c["orderId"]) if c.get("orderId") else None

    batch, batch_orders = Counter(map(key, conversions)), Counter(map(order, conversions))
    seen, seen_orders = set(map(key, stored)), set(map(order, stored))
    results, errors, messages = [], [], []
    for i, c in enumerate(conversions):
        problem = _google_check(standins, c, clicks)
        if problem is None and key(c) in seen:
            problem = "CLICK_CONVERSION_ALREADY_EXISTS", "gclid"
        if problem is None and order(c) is not None and order(c) in seen_orders:
            problem = "ORDER_ID_ALREADY_IN_USE", "order_id"
        if problem is None and batch[key(c)] > 1:
            problem = "DUPLICATE_CLICK_CONVERSION_IN_REQUEST", "gclid"
        if problem is None and order(c) is not None and batch_orders[order(c)] > 1:
            problem = "DUPLICATE_ORDER_ID", "order_id"
        if problem is not None:
            code, field = problem
            path = [{"fieldName": "conversions", "index": i}, {"fieldName": field}]
            errors.append(_google_error(code, path))
            messages.append(f"{errors[-1]['message']}, at conversions[{i}].{field}")
            results.append({})
            continue
        results.append({k: c[k] for k in (*SCALARS[:3], "userIdentifiers") if k in c})
        if not validate_only:
            stored.append(dict(c))
    answer: dict[str, Any] = {}
    if errors:
        message = messages[0]
        if len(messages) > 1:
            message = f"Multiple errors in 'details'. First error: {message}"
        details = _google_failure(version, errors)
        answer["partialFailureError"] = {"code": 3, "message": message, "details": details}
    return answer if validate_only else answer | {"results": results}


def _google_check(standins: StandIns, c: dict, clicks: dict) -> tuple[str, str] | None:
    """The first problem of one ClickConversion: (enum name, proto field), or None."""
    action, when, gclid = c.get("conversionAction"), c.get("conversionDateTime"), c.get("gclid")
    found = re.fullmatch(r"customers/\d+/conversionActions/(\d+)", action or "")
    if not action or not when:
        return "REQUIRED", "conversion_action" if not action else "conversion_date_time"
    if not found:
        return "RESOURCE_NAME_MALFORMED", "conversion_action"
    if found.group(1) != GOOGLE_CONVERSION_ACTION_ID:
        return "NO_CONVERSION_ACTION_FOUND", "conversion_action"
    if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d", when):
        return "INVALID_STRING_DATE_TIME_SECONDS_WITH_OFFSET", "conversion_date_time"
    try:
        converted = datetime.strptime(when, "%Y-%m-%d %H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return "INVALID_FIELD_VALUES_IN_DATE_TIME", "conversion_date_time"
    if "currencyCode" in c and not re.fullmatch(r"[A-Z]{3}", c["currencyCode"]):
        return "UNSUPPORTED", "currency_code"
    identifiers = c.get("userIdentifiers") or []
    for identifier in identifiers if isinstance(identifiers, list) else [None]:
        hashed = identifier if isinstance(identifier, dict) else {}
        hashed = hashed.get("hashedEmail") or hashed.get("hashedPhoneNumber")
        if not (isinstance(hashed, str) and SHA256.fullmatch(hashed)):
            return "INVALID_USER_IDENTIFIER", "user_identifiers"
    if not gclid:
        return None if identifiers else ("REQUIRED", "gclid")
    if not re.fullmatch(r"[A-Za-z0-9_-]{10,}", gclid):
        return "UNPARSEABLE_GCLID", "gclid"
    if gclid in standins.google_fail_once:
        standins.google_fail_once.discard(gclid)
        return "TRANSIENT_ERROR", "gclid"
    clicked = clicks.get(gclid)
    if clicked is None:
        return "EVENT_NOT_FOUND", "gclid"
    if converted < clicked:
        return "CONVERSION_PRECEDES_EVENT", "conversion_date_time"
    if converted > clicked + timedelta(days=90):
        return "EXPIRED_EVENT", "gclid"
    if _utc(standins.now) - clicked < timedelta(hours=6):
        return "TOO_RECENT_EVENT", "gclid"
    return None


# ------------------------------------------------------------------------------------------ Meta
META_SOURCES = ("email", "website", "app", "phone_call", "chat", "physical_store", "other")
META_SOURCES += ("system_generated", "business_messaging")
META_HASHED = ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")
META_CUSTOMER = META_HASHED + ("external_id", "client_ip_address", "client_user_agent", "fbc")
META_CUSTOMER += ("fbp", "subscription_id", "fb_login_id", "lead_id", "anon_id", "madid")
META_CUSTOMER += ("page_id", "page_scoped_user_id", "ctwa_clid", "ig_account_id", "ig_sid")
# problem -> (error_subcode, error_user_title, error_user_msg)
META_ERRORS = {
    "old": (2804003, "Event Timestamp Too Old", "The timestamp for this event is too far in the "
            "past. Events need to be sent from your server within 7 days of when they occurred. "
            "Enter a timestamp that has occurred within the last 7 days."),
    "customer": (2804050, "Customer information parameters", "This event has insufficient "
                 "customer information."),
    "future": (2804004, "Event Timestamp In Future", "The timestamp is in the future."),
    "time": (2804019, "Invalid event_time", "event_time is a Unix timestamp in seconds."),
    "source": (2804019, "Invalid action_source", "action_source isn't valid for this event."),
    "hash": (2804019, "Invalid parameter", "em, ph, fn, ln, ... must be SHA-256 hashes."),
    "fbc": (2804019, "Invalid fbc", "fbc is fb.<subdomain>.<creation ms>.<fbclid>."),
    "custom": (2804019, "Invalid custom_data", "value is a number, currency ISO 4217."),
}  # fmt: skip


def _meta_error(message: str, problem: str | None = None):
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": 100}
    if problem is not None:
        subcode, title, text = META_ERRORS[problem]
        error |= {"error_subcode": subcode, "is_transient": False, "error_user_title": title}
        error["error_user_msg"] = text
    return 400, {"error": error | {"fbtrace_id": _trace()}}, {}


def meta_events(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    """``POST /v23.0/{pixel_id}/events``, the token in the header, the query or the body."""
    from dagster_project.standins.apis import CREDENTIALS

    form = (headers.get("Content-Type") or "").split(";")[0].strip() != "application/json"
    try:  # a form carries ``data`` as a JSON string, as the Graph API takes it
        request = {k: v[0] for k, v in parse_qs(body).items()} if form else json.loads(body)
        if form and "data" in request:
            request["data"] = json.loads(request["data"])
    except (ValueError, TypeError):
        return _meta_error("(#100) param data must be an array.")
    request = request if isinstance(request, dict) else {}
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip()
    token = token or query.get("access_token") or request.get("access_token")
    if token != CREDENTIALS["meta_ads"]["access_token"]:
        message = "Invalid OAuth access token - Cannot parse access token"
        error = {"message": message, "type": "OAuthException", "code": 190}
        return 400, {"error": error | {"fbtrace_id": _trace()}}, {}
    pixel = parts.path.split("/")[2]
    if method != "POST" or pixel != META_PIXEL_ID:
        message = (
            f"Unsupported {method.lower()} request. Object with ID '{pixel}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation. "
            "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        )
        error = {"message": message, "type": "GraphMethodException", "code": 100}
        return 400, {"error": error | {"error_subcode": 33, "fbtrace_id": _trace()}}, {}
    events = request.get("data")
    if events is None:
        return _meta_error("(#100) The parameter data is required")
    if not isinstance(events, list) or len(events) > 1000:
        return _meta_error("(#100) param data must be an array of at most 1000 events.")
    for event in events:
        if not isinstance(event, dict):
            return _meta_error("(#100) param data must be an array of objects.")
        required = ("event_name", "event_time", "action_source", "user_data")
        if missing := [k for k in required if event.get(k) in (None, "")]:
            return _meta_error(f"(#100) The parameter {missing[0]} is required")
        if problem := _meta_problem(event, int(standins.now.timestamp())):
            return _meta_error("Invalid parameter", problem)
    test = {k: v for k, v in request.items() if k == "test_event_code"}
    with standins._lock:
        standins.conversions["meta_ads"].extend(dict(e) | test for e in events)
    return 200, {"events_received": len(events), "messages": [], "fbtrace_id": _trace()}, {}


def _meta_problem(event: dict, now: int) -> str | None:
    """Which of ``META_ERRORS`` fails one event (and with it the whole request), or None."""
    when, user, custom = event["event_time"], event["user_data"], event.get("custom_data")
    user, custom = (x if isinstance(x, dict) else {} for x in (user, custom))
    if not isinstance(when, int) or isinstance(when, bool):
        return "time"
    if when < now - 7 * 86400 or when > now:
        return "old" if when < now else "future"
    source = event["action_source"]
    if (
        source not in META_SOURCES
        or source == "website"
        and not (event.get("event_source_url") and user.get("client_user_agent"))
    ):
        return "source"
    if not any(user.get(k) for k in META_CUSTOMER):
        return "customer"
    for name in META_HASHED:
        values = user.get(name, [])
        values = values if isinstance(values, list) else [values]
        if not all(isinstance(v, str) and SHA256.fullmatch(v) for v in values):
            return "hash"
    if "fbc" in user and not re.fullmatch(r"fb\.[012]\.\d{13}\.\S+", str(user["fbc"])):
        return "fbc"
    value, currency = custom.get("value"), custom.get("currency")
    if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
        return "custom"
    if currency is not None and not re.fullmatch(r"[A-Za-z]{3}", str(currency)):
        return "custom"
    return None


# -------------------------------------------------------------------------------------- LinkedIn
LINKEDIN_ID_TYPES = ("SHA256_EMAIL", "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "ACXIOM_ID")
LINKEDIN_ID_TYPES += ("ORACLE_MOAT_ID",)
LINKEDIN_FIELDS = ("conversion", "conversionHappenedAt", "conversionValue", "user", "eventId")


def _li(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "status": status}


def linkedin_conversions(standins: StandIns, method: str, parts: Any, body: str, headers: Any):
    """``POST /rest/conversionEvents``: one event (201) or a ``BATCH_CREATE`` of ``elements``."""
    version = headers.get("LinkedIn-Version") or ""
    if not re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", version):
        error = {"status": 426, "code": "NONEXISTENT_VERSION"}
        return 426, error | {"message": f"Requested version {version} is not active"}, {}
    if method != "POST":
        return 405, _li(405, f"Method {method} is not allowed"), {}
    if headers.get("X-Restli-Protocol-Version") != "2.0.0":
        return 400, _li(400, "The X-Restli-Protocol-Version: 2.0.0 header is required"), {}
    try:
        request = json.loads(body)
        assert isinstance(request, dict)
    except (ValueError, AssertionError):
        return 400, _li(400, "The request body must be a JSON object"), {}
    batch = (headers.get("X-RestLi-Method") or "").upper()
    now_ms = int(standins.now.timestamp() * 1000)
    received = standins.conversions["linkedin_ads"]
    with standins._lock:
        if batch == "BATCH_CREATE":
            elements = request.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 5000:
                return 400, _li(400, "/elements: an array of 1 to 5000 events is required"), {}
            statuses = []
            for element in elements:
                if problem := _li_problem(element, now_ms):
                    statuses.append({"status": 400, "error": _li(400, problem)})
                else:
                    received.append(dict(element))
                    statuses.append({"status": 201})
            return 200, {"elements": statuses}, {}
        if batch:
            return 400, _li(400, f"X-RestLi-Method {batch} is not supported here"), {}
        if problem := _li_problem(request, now_ms):
            return 400, _li(400, problem), {}
        received.append(dict(request))
        return 201, None, {}


def _li_problem(event: Any, now_ms: int) -> str | None:
    """What is wrong with one conversion event, or None."""
    if not isinstance(event, dict):
        return "A conversion event must be a JSON object"
    if unknown := [key for key in event if key not in LINKEDIN_FIELDS]:
        return f'Unrecognized field "{unknown[0]}"'
    conversion, happened = str(event.get("conversion")), event.get("conversionHappenedAt")
    if not re.fullmatch(rf"urn:lla:llaPartnerConversion:{LINKEDIN_CONVERSION_ID}", conversion):
        return f"/conversion: no conversion rule {conversion}"
    if not isinstance(happened, int) or isinstance(happened, bool):
        return "/conversionHappenedAt: epoch milliseconds are required"
    if not now_ms - 90 * 86_400_000 <= happened <= now_ms:
        return "/conversionHappenedAt: the conversion must have happened in the past 90 days"
    value = event.get("conversionValue")
    if value is not None and not (
        isinstance(value, dict)
        and re.fullmatch(r"[A-Z]{3}", str(value.get("currencyCode")))
        and isinstance(value.get("amount"), str)
        and re.fullmatch(r"-?\d+(\.\d+)?", value["amount"])
    ):
        return "/conversionValue: a currencyCode and an amount (a decimal string) are required"
    user = event.get("user") if isinstance(event.get("user"), dict) else {}
    ids, info = user.get("userIds"), user.get("userInfo")
    if not isinstance(ids, list) or not ids:
        return "/user/userIds: at least one user id is required"
    for entry in ids:
        kind = entry.get("idType") if isinstance(entry, dict) else None
        if kind not in LINKEDIN_ID_TYPES or not isinstance(entry.get("idValue"), str):
            return f"/user/userIds: idType is one of {', '.join(LINKEDIN_ID_TYPES)}"
        if kind == "SHA256_EMAIL" and not SHA256.fullmatch(entry["idValue"]):
            return "/user/userIds: a SHA256_EMAIL idValue is a SHA-256 hex digest"
    if info is not None and not (isinstance(info, dict) and info.get("firstName")):
        return "/user/userInfo: firstName and lastName are required"
    if info is not None and not info.get("lastName"):
        return "/user/userInfo: firstName and lastName are required"
    if not isinstance(event.get("eventId", ""), str):
        return "/eventId: a string is required"
    return None
