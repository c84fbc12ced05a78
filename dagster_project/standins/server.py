"""HTTP stand-ins for the five source APIs on 127.0.0.1, one server (and port) per API, answering
in the published shapes: Salesforce REST (OAuth token, ``query``/``queryAll`` with
``nextRecordsUrl``), Stripe (list objects with ``has_more``, ``starting_after``, ``created``
filters, ``/v1/events``), Google Ads (``googleAds:search`` with ``nextPageToken``, int64 as
strings, zero metrics omitted as proto3 JSON does), Meta Graph (``data``/``paging.next``, numbers
as strings) and LinkedIn (``elements``/``metadata.nextPageToken``, Rest.li 2.0 parameters,
``LinkedIn-Version`` required).

The same servers take the warehouse's write-back (``push``: Salesforce Bulk API 2.0 ingest,
Google Ads click conversion upload, Meta and LinkedIn Conversions APIs); their state (the org's
field values, the jobs, the conversions received, the clock) lives here.

Tests script faults (``fail``: a status, a ``Retry-After``, a body, after some requests) and
expire tokens (``expire_tokens``); every request is logged (``requests``) with what it returned.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dagster_project.standins.apis import APIS, CREDENTIALS, ROUTES, _json
from dagster_project.standins.push import PLATFORMS, load_clicks
from dagster_project.standins.world import SampleWorld


@dataclass
class Fault:
    api: str
    status: int
    match: str = ""
    after: int = 0  # let this many matching requests through first
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    expire_tokens: bool = False  # the API also forgets every token it issued (a session ended)
    action: Callable[[], None] | None = None  # run when the fault fires (e.g. kill the client)


@dataclass
class Logged:
    api: str
    method: str
    path: str
    query: str
    body: str
    status: int = 0
    returned: int = 0  # records in the answer


class StandIns:
    """The five stand-ins over one ``SampleWorld``; a context manager that starts and stops them."""

    def __init__(self, world: SampleWorld, page_sizes: dict[str, int] | None = None) -> None:
        self.world = world
        self.page_sizes = {"google_ads": 10_000} | (page_sizes or {})
        self.empty_last_page = False  # answer one more, empty page after the last rows
        self.faults: list[Fault] = []
        self.requests: list[Logged] = []
        self.tokens: dict[str, set[str]] = {api: set() for api in APIS}
        self.tokens_issued: Counter = Counter()
        self.locators: dict[str, tuple] = {}  # open Salesforce queries by locator
        # the write side (push.py): the clock that dates jobs and ages events, the org's values
        # of the pushed custom fields ((sObject, Id) -> {field: value}), the Bulk jobs and the
        # conversions each platform received; scripted failures
        self.now = datetime.now(UTC)
        self.crm_values: dict[tuple[str, str], dict[str, Any]] = {}
        self.bulk_jobs: dict[str, dict[str, Any]] = {}
        self.bulk_polls_in_progress = 1  # Get Job Info answers InProgress this many times
        self.bulk_fail_once: dict[str, str] = {}  # record Id -> its error in the next job
        self.bulk_fail_job_after: int | None = None  # the next job fails after this many rows
        self.conversions: dict[str, list[dict[str, Any]]] = {p: [] for p in PLATFORMS}
        self.google_fail_once: set[str] = set()  # gclids answered with a transient error once
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_landing(cls, landing: Path, **kwargs: Any) -> StandIns:
        world = SampleWorld.from_landing(landing)
        load_clicks(world, landing)  # Google knows its clicks: conversion uploads check gclids
        return cls(world, **kwargs)

    # ------------------------------------------------------------------------------- lifecycle
    def start(self) -> StandIns:
        for api in APIS:
            server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
            server.daemon_threads = True
            server.standins, server.api = self, api  # type: ignore[attr-defined]
            # (a short poll: stopping the five servers takes 0.25 s, not 2.5 s)
            threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            ).start()
            self._servers[api] = server
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def __enter__(self) -> StandIns:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, api: str) -> str:
        host, port = self._servers[api].server_address[:2]
        return f"http://{host}:{port}"

    # ---------------------------------------------------------------------------------- script
    def fail(self, api: str, status: int, **kwargs: Any) -> Fault:
        fault = Fault(api, status, **kwargs)
        self.faults.append(fault)
        return fault

    def expire_tokens(self, api: str) -> None:
        self.tokens[api].clear()

    def logged(self, api: str) -> list[Logged]:
        return [r for r in self.requests if r.api == api]

    def _fault(self, api: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.api != api or fault.match not in target or fault.times <= 0:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    continue
                fault.times -= 1
                if fault.expire_tokens:
                    self.tokens[api].clear()
                if fault.action is not None:
                    fault.action()
                return fault
        return None

    def _issue(self, api: str) -> str:
        token = f"{api}-token-{secrets.token_hex(8)}"
        self.tokens[api].add(token)
        self.tokens_issued[api] += 1
        return token


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        standins: StandIns = self.server.standins  # type: ignore[attr-defined]
        api: str = self.server.api  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        parts = urlsplit(self.path)
        entry = Logged(api, method, parts.path, parts.query, body)
        standins.requests.append(entry)
        fault = standins._fault(api, self.path)
        if fault is not None:
            status, payload, headers = fault.status, fault.body, fault.headers
        else:
            try:
                status, payload, headers = ROUTES[api](standins, method, parts, body, self.headers)
            except Exception as exc:  # a bug in the stand-in shows as a 500 with its reason
                status, payload, headers = 500, {"error": repr(exc)}, {}
        headers = dict(headers or {})
        # a route may answer another type (Bulk results are CSV) or nothing (201 Created)
        kind = headers.pop("Content-Type", "application/json")
        if isinstance(payload, dict):
            rows = (
                payload.get("records")
                or payload.get("data")
                or payload.get("results")
                or payload.get("elements")
                or []
            )
            entry.returned = len([r for r in rows if r != {}]) + payload.get("events_received", 0)
        elif isinstance(payload, str) and kind.startswith("text/csv"):
            entry.returned = max(0, len(payload.splitlines()) - 1)
        entry.status = status
        raw = (payload if isinstance(payload, str) else json.dumps(payload, default=_json)).encode()
        if payload is None and fault is None:
            raw = b""
        self.send_response(status)
        if raw:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(raw)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(raw)


def standin_settings(settings: Any, standins: StandIns) -> Any:
    """``settings`` with every system in api mode, reading the stand-ins with their test
    credentials (handed over in-process, not through the environment) from the first day of the
    sample's ad metrics, and every write-back target live to them; retries back off briefly."""
    from dataclasses import replace

    from dagster_project.lib.connectors.config import SECRETS

    urls = {api: standins.url(api) for api in APIS}
    creds = CREDENTIALS
    plain = {
        "salesforce": {"instance_url": urls["salesforce"], "token_url": None},
        "stripe": {"base_url": urls["stripe"]},
        "google_ads": {
            "customer_id": creds["google_ads"]["customer_id"],
            "login_customer_id": creds["google_ads"]["login_customer_id"],
            "base_url": urls["google_ads"],
            "token_url": urls["google_ads"] + "/token",
        },
        "meta_ads": {
            "ad_account_id": creds["meta_ads"]["ad_account_id"],
            "base_url": urls["meta_ads"],
        },
        "linkedin_ads": {
            "ad_account_id": creds["linkedin_ads"]["ad_account_id"],
            "base_url": urls["linkedin_ads"],
        },
    }
    credentials = {
        name: creds[api][arg] for api, entries in SECRETS.items() for name, arg, _ in entries
    }
    days = [r["segments_date"] for r in standins.world.records["google_ads_campaign_stats"]]
    days += [r["date_start"] for r in standins.world.records["meta_ads_insights"]]
    api = replace(
        settings.api,
        modes=dict.fromkeys(settings.api.modes, "api"),
        plain=plain,
        ads_start_date=min(days) if days else None,
        backoff_seconds=0.2,
    )
    # the write-back goes live to the stand-ins, to their test conversion destinations
    from dagster_project.standins.push import (
        GOOGLE_CONVERSION_ACTION_ID,
        LINKEDIN_CONVERSION_ID,
        META_PIXEL_ID,
    )

    push = replace(
        settings.push,
        modes=dict.fromkeys(settings.push.modes, "live"),
        targets={
            "salesforce": {},
            "google_ads": dict.fromkeys(
                ("qualified_lead", "won_deal"), GOOGLE_CONVERSION_ACTION_ID
            ),
            "meta_ads": {"pixel_id": META_PIXEL_ID},
            "linkedin_ads": dict.fromkeys(("qualified_lead", "won_deal"), LINKEDIN_CONVERSION_ID),
        },
        poll_seconds=0.2,
    )
    if push.as_of:  # the platforms' clocks agree with the push's
        standins.now = datetime.fromisoformat(push.as_of)
    return replace(settings, api=api, api_credentials=credentials, push=push)


def request_summary(requests: list[Logged]) -> dict[str, dict[str, int]]:
    """Requests made to each stand-in (``StandIns.requests`` or a slice of it) and the records
    they returned."""
    out: dict[str, dict[str, int]] = {}
    for entry in requests:
        row = out.setdefault(entry.api, {"requests": 0, "records": 0, "errors": 0})
        row["requests"] += 1
        row["records"] += entry.returned
        row["errors"] += entry.status >= 400
    return out
