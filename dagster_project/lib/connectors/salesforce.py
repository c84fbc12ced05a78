"""Salesforce REST API (v64.0, Summer '25): the CRM contracts' objects by SOQL.

Each object is read with ``queryAll`` where its contract has ``IsDeleted`` (so soft-deleted
records arrive with ``IsDeleted = true``; ``query`` elsewhere), selecting the contract's columns
plus ``SystemModstamp``, ordered by ``SystemModstamp, Id`` and filtered after the last stored
``(SystemModstamp, Id)`` and up to ``settle_seconds`` (5 minutes) ago, as a record stamped when
its transaction began becomes visible only when it commits: every night reads only what changed,
none in flight is passed over, and a run that stops between two pages resumes after the last
stored one. Pages follow ``nextRecordsUrl`` (``Sforce-Query-Options:
batchSize``). ``SystemModstamp`` is the cursor only and is not stored in the raw table; the
``attributes`` envelope is dropped. Auth: OAuth 2.0 (refresh-token or client-credentials grant)
with a new token on 401. Records hard-deleted (emptied from the recycle bin) are not visible to
``queryAll``; a deleted-records call (``/sobjects/<type>/deleted``) would be the next step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from dagster_project.lib.connectors.commit import ApiBatch, project
from dagster_project.lib.connectors.http import (
    ApiConnector,
    RetryPolicy,
    oauth,
)
from dagster_project.lib.landing.contracts import Contract

API_VERSION = "v64.0"
# contract object -> sObject
SOBJECTS = {
    "users": "User",
    "accounts": "Account",
    "contacts": "Contact",
    "leads": "Lead",
    "campaigns": "Campaign",
    "campaign_members": "CampaignMember",
    "tasks": "Task",
    "opportunities": "Opportunity",
    "opportunity_history": "OpportunityHistory",
    "opportunity_contact_roles": "OpportunityContactRole",
}
# contract column -> SOQL field where they differ (a relationship field)
FIELDS = {"users": {"UserRole": "UserRole.Name"}}
CURSOR = "SystemModstamp"
EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass
class SalesforceConnector(ApiConnector):
    instance_url: str
    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str | None = None
    page_size: int = 2000
    retry: RetryPolicy = RetryPolicy()
    # SystemModstamp is set when a transaction starts, the record is visible when it commits:
    # a run reads only records stamped this long ago, so none still in flight is passed over
    settle_seconds: int = 300

    def __post_init__(self) -> None:
        self.auth = oauth(self.token_url, self.client_id, self.client_secret, self.refresh_token)
        self.connect(
            self.instance_url,
            (self.client_id, self.client_secret, self.refresh_token),
            self.retry,
            auth=self.auth,
            headers={"Sforce-Query-Options": f"batchSize={self.page_size}"},
            paginator=JSONLinkPaginator(next_url_path="nextRecordsUrl"),
        )

    @staticmethod
    def handles(contract: Contract) -> bool:
        return contract.system == "crm" and contract.object in SOBJECTS

    def soql(self, contract: Contract, state: dict[str, Any], until: datetime) -> str:
        mapped = FIELDS.get(contract.object, {})
        fields = [mapped.get(c.name, c.name) for c in contract.columns]
        since = state.get(CURSOR, EPOCH)
        where = f"{CURSOR} > {since}"
        if state.get("Id"):
            where = f"({where} OR ({CURSOR} = {since} AND Id > '{state['Id']}'))"
        until_text = until.strftime("%Y-%m-%dT%H:%M:%S.") + f"{until.microsecond // 1000:03d}Z"
        where += f" AND {CURSOR} <= {until_text}"
        return (
            f"SELECT {', '.join([*fields, CURSOR])} FROM {SOBJECTS[contract.object]} "
            f"WHERE {where} ORDER BY {CURSOR}, Id"
        )

    def batches(self, contract: Contract, state: dict[str, Any]) -> Iterator[ApiBatch]:
        """Pages of records changed since ``state``; each page carries the cursor after it."""
        verb = "queryAll" if "IsDeleted" in contract.column_names else "query"
        path = f"/services/data/{API_VERSION}/{verb}"
        mapped = FIELDS.get(contract.object, {})
        hooks = self.hooks(f"Salesforce {verb} {contract.object}")
        until = datetime.now(UTC) - timedelta(seconds=self.settle_seconds)
        soql = self.soql(contract, state, until)
        for page in self.client.paginate(path, params={"q": soql}, hooks=hooks):
            records = list(page)
            cursor = dict(state)
            if records:
                cursor = {CURSOR: _soql_datetime(records[-1][CURSOR]), "Id": records[-1]["Id"]}
            rows = []
            for record in records:
                record = dict(record)
                record.pop(CURSOR, None)  # (the cursor only: not a contract column)
                rows.append(project(record, mapped, drop=("attributes",)))
            yield ApiBatch(request=page.response.url, records=rows, state=cursor)
            state = cursor


def _soql_datetime(value: str) -> str:
    """``2026-10-31T02:00:00.000+0000`` as a SOQL datetime literal (UTC, ``Z``)."""
    parsed = datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{parsed.microsecond // 1000:03d}Z"
    )
