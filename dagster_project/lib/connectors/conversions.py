"""Offline conversions for the ad platforms: qualified leads and won deals sent back so their
bidding learns which clicks became pipeline and revenue.

- Google Ads API v21, ``ConversionUploadService.UploadClickConversions``
  (``POST /v21/customers/{id}:uploadClickConversions``, ``partialFailure: true``): the gclid, the
  conversion action, ``conversionDateTime`` as ``yyyy-mm-dd hh:mm:ss+00:00``, value and currency,
  an ``orderId`` (Google refuses a second upload with the same one), and the hashed email as a
  user identifier. Per-conversion errors come back in ``partialFailureError``, located by index.
- Meta Conversions API v23.0 (``POST /v23.0/{pixel_id}/events``): ``event_time`` in Unix seconds,
  ``action_source: system_generated`` (a CRM event), ``event_id`` (Meta de-duplicates on it),
  ``user_data.em`` and ``fbc`` (``fb.1.<click ms>.<fbclid>``). Meta refuses a whole request when
  one event is invalid: the batch is then sent again one event at a time, so one bad event
  cannot hold back the others.
- LinkedIn Conversions API (``POST /rest/conversionEvents``, ``X-RestLi-Method: BATCH_CREATE``,
  ``LinkedIn-Version: 202510``): the conversion rule's URN, ``conversionHappenedAt`` in epoch
  milliseconds, the value, ``eventId``, and user ids ``SHA256_EMAIL`` and
  ``LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID`` (the li_fat_id). Each element has its own status.

Emails leave only as SHA-256 hex digests of the address normalised as each platform specifies
(``normalise_email``). Each conversion carries a stable id (the warehouse's ``conversion_key``)
so a platform that receives it twice keeps one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dagster_project.lib.connectors.ads import GOOGLE_ADS_VERSION, LINKEDIN_VERSION, META_VERSION
from dagster_project.lib.connectors.http import (
    ApiConnector,
    ConnectorError,
    RetryPolicy,
    bearer,
    oauth,
)

PLATFORMS = ("google_ads", "meta_ads", "linkedin_ads")
CONVERSION_TYPES = ("qualified_lead", "won_deal")
# how old a conversion (or its click) may be when it is sent, per the platforms' rules:
# Google refuses a click older than 90 days (EXPIRED_EVENT), Meta an event_time older than
# 7 days, LinkedIn a conversion that happened more than 90 days ago
MAX_AGE_DAYS = {"google_ads": 90, "meta_ads": 7, "linkedin_ads": 90}
BATCH_SIZE = {"google_ads": 2000, "meta_ads": 1000, "linkedin_ads": 5000}
META_EVENT_NAMES = {"qualified_lead": "Lead", "won_deal": "Purchase"}
# Google's answers to a conversion it already has (the same click and time, or the same orderId)
GOOGLE_DUPLICATE = ("CLICK_CONVERSION_ALREADY_EXISTS", "ORDER_ID_ALREADY_IN_USE")


def normalise_email(email: str, platform: str) -> str:
    """The address as the platform wants it before hashing: leading and trailing whitespace
    removed and lower-cased (Meta, LinkedIn, Google); Google also removes the dots of the local
    part of gmail.com and googlemail.com addresses."""
    out = email.strip().lower()
    if platform == "google_ads":
        local, _, domain = out.partition("@")
        if domain in ("gmail.com", "googlemail.com"):
            out = f"{local.replace('.', '')}@{domain}"
    return out


def hash_email(email: str | None, platform: str) -> str | None:
    """SHA-256 hex digest of the normalised address (None when there is no address)."""
    if not email or not email.strip():
        return None
    return hashlib.sha256(normalise_email(email, platform).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Conversion:
    """One row of ``marts.ad_conversions``."""

    conversion_key: str
    platform: str
    conversion_type: str
    occurred_at: datetime  # UTC (naive values are UTC)
    value_amount: Decimal | None
    currency: str | None
    click_id: str | None
    clicked_at: datetime | None
    email: str | None


@dataclass
class Outcome:
    """What a platform answered for one conversion: ``sent`` (accepted, or already there) or
    ``failed`` with the platform's error."""

    conversion_key: str
    status: str
    detail: str | None = None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _amount(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# ---------------------------------------------------------------------------- request bodies
def google_conversion(c: Conversion, customer_id: str, action_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gclid": c.click_id,
        "conversionAction": f"customers/{customer_id}/conversionActions/{action_id}",
        "conversionDateTime": _utc(c.occurred_at).strftime("%Y-%m-%d %H:%M:%S+00:00"),
        "orderId": c.conversion_key,
    }
    if c.value_amount is not None:
        body["conversionValue"] = _amount(c.value_amount)
        body["currencyCode"] = c.currency
    hashed = hash_email(c.email, "google_ads")
    if hashed:
        body["userIdentifiers"] = [{"hashedEmail": hashed}]
    return body


def meta_event(c: Conversion) -> dict[str, Any]:
    user: dict[str, Any] = {}
    hashed = hash_email(c.email, "meta_ads")
    if hashed:
        user["em"] = [hashed]
    if c.click_id and c.clicked_at is not None:
        user["fbc"] = f"fb.1.{int(_utc(c.clicked_at).timestamp() * 1000)}.{c.click_id}"
    event: dict[str, Any] = {
        "event_name": META_EVENT_NAMES[c.conversion_type],
        "event_time": int(_utc(c.occurred_at).timestamp()),
        "action_source": "system_generated",
        "event_id": c.conversion_key,
        "user_data": user,
        "custom_data": {"event_source": "crm", "lead_event_source": "Revenue Journey Warehouse"},
    }
    if c.value_amount is not None:
        event["custom_data"] |= {"value": _amount(c.value_amount), "currency": c.currency}
    return event


def linkedin_event(c: Conversion, rule_id: str) -> dict[str, Any]:
    ids = []
    hashed = hash_email(c.email, "linkedin_ads")
    if hashed:
        ids.append({"idType": "SHA256_EMAIL", "idValue": hashed})
    if c.click_id:
        ids.append({"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID", "idValue": c.click_id})
    event: dict[str, Any] = {
        "conversion": f"urn:lla:llaPartnerConversion:{rule_id}",
        "conversionHappenedAt": int(_utc(c.occurred_at).timestamp() * 1000),
        "user": {"userIds": ids},
        "eventId": c.conversion_key,
    }
    if c.value_amount is not None:
        event["conversionValue"] = {
            "currencyCode": c.currency,
            "amount": format(Decimal(c.value_amount).quantize(Decimal("0.01")), "f"),
        }
    return event


def request_body(platform: str, batch: list[Conversion], targets: dict[str, str]) -> dict:
    """The exact JSON a platform receives for ``batch`` (what dry-run writes to its files).
    ``targets``: Google's customer id and conversion action per type, LinkedIn's conversion rule
    per type (Meta needs none: the event name says the type)."""
    if platform == "google_ads":
        customer = (targets.get("customer_id") or "").replace("-", "")
        return {
            "conversions": [
                google_conversion(c, customer, targets.get(c.conversion_type) or "") for c in batch
            ],
            "partialFailure": True,
        }
    if platform == "meta_ads":
        return {"data": [meta_event(c) for c in batch]}
    return {"elements": [linkedin_event(c, targets.get(c.conversion_type) or "") for c in batch]}


# ---------------------------------------------------------------------------------- senders
@dataclass
class ConversionSender(ApiConnector):
    """Sends conversions to one platform (``platform``) with dlt's retrying client."""

    platform: str
    base_url: str
    targets: dict[str, str] = field(default_factory=dict)
    access_token: str | None = None  # Meta, LinkedIn
    pixel_id: str | None = None  # Meta
    developer_token: str | None = None  # Google (with the OAuth client below)
    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    login_customer_id: str | None = None
    token_url: str = "https://oauth2.googleapis.com/token"
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        if self.platform == "google_ads":
            headers = {"developer-token": self.developer_token or ""}
            if self.login_customer_id:
                headers["login-customer-id"] = self.login_customer_id.replace("-", "")
            auth = oauth(self.token_url, self.client_id, self.client_secret, self.refresh_token)
            secrets = (self.developer_token, self.client_secret, self.refresh_token)
        else:
            headers = {}
            if self.platform == "linkedin_ads":
                headers = {
                    "LinkedIn-Version": LINKEDIN_VERSION,
                    "X-Restli-Protocol-Version": "2.0.0",
                }
            auth = bearer(self.access_token or "")
            secrets = (self.access_token,)
        self.connect(self.base_url, secrets, self.retry, auth=auth, headers=headers)

    def _post(self, path: str, body: dict, headers: dict[str, str] | None = None):
        what = f"{self.platform} conversions {path}"
        try:
            return self.client.request(
                path,
                method="POST",
                json=body,
                headers=headers,
                hooks={"response": [self.counter.hook]},
            )
        except Exception as exc:  # dlt's client gave up (connection, or 5xx after retries)
            raise ConnectorError(self.redact(f"{what}: {exc}")) from None

    def _error(self, response: Any) -> ConnectorError:
        status = response.status_code
        return ConnectorError(
            self.redact(
                f"{self.platform} conversions: POST {self.redact.url(response.request.url)} "
                f"answered HTTP {status}: {response.text[:500]}"
            ),
            retryable=status >= 500 or status == 429,
        )

    def send(self, batch: list[Conversion]) -> list[Outcome]:
        """Send one batch; an outcome per conversion."""
        if not batch:
            return []
        return {
            "google_ads": self._google,
            "meta_ads": self._meta,
            "linkedin_ads": self._linkedin,
        }[self.platform](batch)

    def _google(self, batch: list[Conversion]) -> list[Outcome]:
        customer = (self.targets.get("customer_id") or "").replace("-", "")
        path = f"/{GOOGLE_ADS_VERSION}/customers/{customer}:uploadClickConversions"
        response = self._post(path, request_body("google_ads", batch, self.targets))
        if response.status_code >= 400:
            raise self._error(response)
        body = response.json()
        failed: dict[int, list[str]] = {}
        for detail in (body.get("partialFailureError") or {}).get("details") or []:
            for error in detail.get("errors") or []:
                elements = (error.get("location") or {}).get("fieldPathElements") or []
                index = next(
                    (e.get("index") for e in elements if e.get("fieldName") == "conversions"),
                    None,
                )
                codes = list((error.get("errorCode") or {}).values())
                text = f"{codes[0] if codes else 'ERROR'}: {error.get('message', '')}"
                # an error located at no conversion concerns them all
                for i in range(len(batch)) if index is None else [int(index)]:
                    failed.setdefault(i, []).append(text)
        out = []
        for i, c in enumerate(batch):
            errors = failed.get(i)
            if not errors:
                out.append(Outcome(c.conversion_key, "sent"))
            elif all(e.startswith(GOOGLE_DUPLICATE) for e in errors):  # (already there)
                out.append(Outcome(c.conversion_key, "sent", "already uploaded"))
            else:
                out.append(Outcome(c.conversion_key, "failed", "; ".join(errors)))
        return out

    def _meta(self, batch: list[Conversion], split: bool = True) -> list[Outcome]:
        path = f"/{META_VERSION}/{self.pixel_id}/events"
        response = self._post(path, request_body("meta_ads", batch, self.targets))
        if response.status_code < 400:
            received = response.json().get("events_received")
            if received != len(batch):
                raise ConnectorError(
                    f"meta_ads conversions: {received} of {len(batch)} events received"
                )
            return [Outcome(c.conversion_key, "sent") for c in batch]
        if response.status_code >= 500 or response.status_code == 429:
            raise self._error(response)
        if len(batch) > 1 and split:  # Meta refuses the whole request for one bad event
            return [o for c in batch for o in self._meta([c], split=False)]
        error = (response.json() or {}).get("error") or {}
        detail = error.get("error_user_msg") or error.get("message") or response.text[:300]
        if response.status_code in (401, 403) or error.get("code") == 190:  # token refused
            raise self._error(response)
        return [Outcome(c.conversion_key, "failed", self.redact(detail)) for c in batch]

    def _linkedin(self, batch: list[Conversion]) -> list[Outcome]:
        response = self._post(
            "/rest/conversionEvents",
            request_body("linkedin_ads", batch, self.targets),
            headers={"X-RestLi-Method": "BATCH_CREATE"},
        )
        if response.status_code >= 400:
            raise self._error(response)
        elements = response.json().get("elements") or []
        out = []
        for i, c in enumerate(batch):
            element = elements[i] if i < len(elements) else {}
            status = int(element.get("status") or 0)
            if 200 <= status < 300:
                out.append(Outcome(c.conversion_key, "sent"))
            else:
                error = element.get("error") or {}
                detail = error.get("message") or json.dumps(element)[:300]
                out.append(Outcome(c.conversion_key, "failed", f"HTTP {status}: {detail}"))
        return out
