"""Stripe API (version ``2025-03-31.basil``, the shapes the billing contracts read): customers,
subscriptions, invoices, charges and refunds.

The first run lists every object created up to five minutes before its start (``created[lte]``:
an object is visible only once the request that created it has ended), newest first, page by page
with ``starting_after``; later runs list only objects created since (``created[gt]``) and take the
changes of objects stored before from the ``/v1/events`` endpoint: every event of the object's
family (``type=invoice.*``), whose ``data.object`` is the object after the change; the newest
wins. Events are kept 30 days, so a warehouse idle for longer needs a full run (delete the
stream's ``raw_meta.api_state`` row). No field is expanded (references stay ids). The open
listing window and its last stored page are part of the state, so a stopped run resumes after
that page with the same bounds. A deletion (``customer.deleted``, ``invoice.deleted`` for a draft)
stores the object's last state: the billing contracts keep no deleted flag, and Stripe never
deletes money records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dlt.sources.helpers.rest_client.paginators import BaseReferencePaginator

from dagster_project.lib.connectors.commit import ApiBatch, project
from dagster_project.lib.connectors.http import (
    ApiConnector,
    RetryPolicy,
    bearer,
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
# every event of an object's family (``type`` takes a * wildcard), kept when its
# ``data.object`` is of the object's type: any change reaches the warehouse
EVENT_TYPES = {
    "customers": ["customer.*"],
    "subscriptions": ["customer.subscription.*"],
    "invoices": ["invoice.*"],
    "charges": ["charge.*"],
    "refunds": ["refund.*", "charge.refund.*"],
}
OBJECT_TYPES = {
    "customers": "customer",
    "subscriptions": "subscription",
    "invoices": "invoice",
    "charges": "charge",
    "refunds": "refund",
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
class StripeConnector(ApiConnector):
    api_key: str
    base_url: str = "https://api.stripe.com"
    page_size: int = 100
    retry: RetryPolicy = RetryPolicy()
    settle_seconds: int = 300  # (see batches)

    def __post_init__(self) -> None:
        self.connect(
            self.base_url,
            (self.api_key,),
            self.retry,
            auth=bearer(self.api_key),
            headers={"Stripe-Version": API_VERSION},
            paginator=StripePaginator(),
        )

    @staticmethod
    def handles(contract: Contract) -> bool:
        return contract.system == "billing" and contract.object in ENDPOINTS

    def batches(self, contract: Contract, state: dict[str, Any]) -> Iterator[ApiBatch]:
        obj = contract.object
        hooks = self.hooks(f"Stripe {ENDPOINTS[obj]}")
        # Stripe sets ``created`` when a request starts; the object is visible when it ends: a
        # run lists (and reads events) only up to ``settle_seconds`` ago, the next run goes on
        # from there, so nothing still being written is passed over
        horizon = int(time.time()) - self.settle_seconds
        state = dict(state)
        if "created_gt" not in state and state.get("window") is None:  # the first run
            state |= {"created_gt": None, "events_from": horizon, "events_seen": {}}
            state["window"] = {"gt": None, "lte": horizon, "starting_after": None}
        elif state.get("window") is None:
            batch = self._updates(obj, state, hooks, horizon)
            yield batch
            state = dict(batch.state)
            state["window"] = {"gt": state["created_gt"], "lte": horizon, "starting_after": None}
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

    def _updates(self, obj: str, state: dict[str, Any], hooks: dict, horizon: int) -> ApiBatch:
        """The newest version of each stored object that an event since the last run changed.

        Events are read from the previous run's horizon on (so an event written late is read
        by the next run); those already applied, within that overlap, are skipped by id."""
        seen: dict[str, int] = dict(state.get("events_seen") or {})
        newest: dict[str, tuple[int, dict[str, Any]]] = {}
        first_url = None
        for pattern in EVENT_TYPES[obj]:
            params = {
                "limit": self.page_size,
                "type": pattern,
                "created[gte]": state["events_from"],
            }
            for page in self.client.paginate(
                "/v1/events", params=params, hooks=hooks, data_selector="data"
            ):
                first_url = first_url or page.response.url
                for event in page:  # newest first
                    if event["id"] in seen:
                        continue
                    seen[event["id"]] = event["created"]
                    stored = event["data"]["object"]
                    if stored.get("object") != OBJECT_TYPES[obj]:
                        continue  # (customer.* also names subscriptions, discounts, ...)
                    created = stored.get("created")
                    if isinstance(created, int) and created > (state["created_gt"] or 0):
                        continue  # created since the last listing: the listing brings it
                    if event["created"] > newest.get(stored["id"], (-1, None))[0]:
                        newest[stored["id"]] = (event["created"], stored)
        after = dict(
            state,
            events_from=horizon,
            events_seen={i: c for i, c in seen.items() if c >= horizon},
        )
        return ApiBatch(
            request=first_url or f"{self.base_url}/v1/events",
            records=[project(r, {}) for _, r in newest.values()],
            state=after,
        )
