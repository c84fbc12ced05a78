"""Stripe API (version ``2025-03-31.basil``, the shapes the billing contracts read): customers,
subscriptions, invoices, charges and refunds.

The first run lists every object created up to its start (``created[lte]``), newest first, page
by page with ``starting_after``; later runs list only objects created since (``created[gt]``) and
take the updates of objects stored before from the ``/v1/events`` endpoint (the event's
``data.object`` is the object after the change; events are kept 30 days, so a warehouse idle for
longer needs a full run: clear its ``raw_meta.api_state`` row). The newest version of each object
wins. No field is expanded (references stay ids). The open listing window and its last stored
page are part of the state, so a stopped run resumes after that page with the same bounds.
Deleted customers (``customer.deleted``) are not applied: the billing contracts keep no deleted
flag, and Stripe never deletes money records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dlt.sources.helpers.rest_client.paginators import BaseReferencePaginator

from dagster_project.lib.connectors.commit import ApiBatch, project
from dagster_project.lib.connectors.http import (
    Redactor,
    RequestCounter,
    RetryPolicy,
    api_client,
    bearer,
    error_hook,
)
from dagster_project.lib.landing.contracts import Contract

API_VERSION = "2025-03-31.basil"
ENDPOINTS = {
    "customers": "/v1/customers",
    "subscriptions": "/v1/subscriptions",
    "invoices": "/v1/invoices",
    "charges": "/v1/charges",
    "refunds": "/v1/refunds",
}
# listing filters beyond paging (canceled subscriptions are left out unless asked for)
LIST_PARAMS = {"subscriptions": {"status": "all"}}
EVENT_TYPES = {
    "customers": ["customer.updated"],
    "subscriptions": ["customer.subscription.updated", "customer.subscription.deleted"],
    "invoices": [
        "invoice.updated",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_failed",
        "invoice.voided",
        "invoice.marked_uncollectible",
    ],
    "charges": ["charge.updated", "charge.succeeded", "charge.failed", "charge.refunded"],
    "refunds": ["refund.updated", "refund.failed", "charge.refund.updated"],
}


class StripePaginator(BaseReferencePaginator):
    """``has_more`` and ``starting_after`` = the id of the page's last object."""

    def update_state(self, response, data=None) -> None:  # noqa: ANN001
        body = response.json()
        items = body.get("data") or []
        self._next_reference = items[-1]["id"] if body.get("has_more") and items else None

    def update_request(self, request) -> None:  # noqa: ANN001
        request.params = dict(request.params or {}) | {"starting_after": self._next_reference}


@dataclass
class StripeConnector:
    api_key: str
    base_url: str = "https://api.stripe.com"
    page_size: int = 100
    retry: RetryPolicy = RetryPolicy()

    def __post_init__(self) -> None:
        self.redact = Redactor()
        self.redact.add(self.api_key)
        self.counter = RequestCounter()
        self.client = api_client(
            self.base_url.rstrip("/"),
            auth=bearer(self.api_key),
            headers={"Stripe-Version": API_VERSION},
            paginator=StripePaginator(),
            retry=self.retry,
            counter=self.counter,
        )

    @staticmethod
    def handles(contract: Contract) -> bool:
        return contract.system == "billing" and contract.object in ENDPOINTS

    def batches(self, contract: Contract, state: dict[str, Any]) -> Iterator[ApiBatch]:
        obj = contract.object
        hooks = {
            "response": [self.counter.hook, error_hook(self.redact, f"Stripe {ENDPOINTS[obj]}")]
        }
        now = int(time.time()) - 1  # (an object created in this second is listed next run)
        state = dict(state)
        if "created_gt" not in state and state.get("window") is None:  # the first run
            state |= {"created_gt": None, "events_gte": now, "events_seen": []}
            state["window"] = {"gt": None, "lte": now, "starting_after": None}
        elif state.get("window") is None:
            yield self._updates(obj, state, hooks)
            state = self._last_state
            state["window"] = {"gt": state["created_gt"], "lte": now, "starting_after": None}
        window = state["window"]
        params: dict[str, Any] = {"limit": self.page_size, "created[lte]": window["lte"]}
        params |= LIST_PARAMS.get(obj, {})
        if window["gt"] is not None:
            params["created[gt]"] = window["gt"]
        if window["starting_after"]:
            params["starting_after"] = window["starting_after"]
        for page in self.client.paginate(
            ENDPOINTS[obj], params=params, hooks=hooks, data_selector="data"
        ):
            records = [project(r, {}) for r in page]
            after = dict(state)
            if page.paginator.has_next_page:
                after["window"] = dict(window, starting_after=records[-1]["id"])
            else:  # the window is complete: objects created up to its end are stored
                after["window"] = None
                after["created_gt"] = window["lte"]
            yield ApiBatch(request=page.response.url, records=records, state=after)
            state = after

    def _updates(self, obj: str, state: dict[str, Any], hooks: dict) -> ApiBatch:
        """The newest version of each stored object an event changed since the last run."""
        seen = set(state.get("events_seen") or [])
        newest: dict[str, dict[str, Any]] = {}
        top, top_ids = state["events_gte"], set(seen)
        first_url = None
        params = {
            "limit": self.page_size,
            "types[]": EVENT_TYPES[obj],
            "created[gte]": state["events_gte"],
        }
        for page in self.client.paginate(
            "/v1/events", params=params, hooks=hooks, data_selector="data"
        ):
            first_url = first_url or page.response.url
            for event in page:  # newest first
                if event["id"] in seen:
                    continue
                if event["created"] > top:
                    top, top_ids = event["created"], {event["id"]}
                elif event["created"] == top:
                    top_ids.add(event["id"])
                stored = event["data"]["object"]
                created = stored.get("created")
                if isinstance(created, int) and created > (state["created_gt"] or 0):
                    continue  # created since the last listing: the listing brings it
                newest.setdefault(stored["id"], stored)
        after = dict(state, events_gte=top, events_seen=sorted(top_ids))
        self._last_state = after
        return ApiBatch(
            request=first_url or f"{self.base_url}/v1/events",
            records=[project(r, {}) for r in newest.values()],
            state=after,
        )
