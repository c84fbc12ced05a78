"""Salesforce Bulk API 2.0 ingest jobs (API v64.0), the write-back's transport.

One job per sObject and chunk of records: create the job (``POST /jobs/ingest``, operation
``update``, CSV with LF line endings), upload the CSV (``PUT .../batches``), close it (``PATCH``
state ``UploadComplete``), poll until ``JobComplete``, ``Failed`` or ``Aborted``, then fetch the
three result sets: ``successfulResults/``, ``failedResults/`` (``sf__Error`` per record) and
``unprocessedrecords/`` (what a failed or aborted job never reached). The client is dlt's (retries
429 and 5xx, ``Retry-After`` honoured) with the same OAuth 2.0 auth as the extract (a new token
when Salesforce answers 401), and every error message is redacted.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from typing import Any

from dagster_project.lib.connectors.http import ApiConnector, ConnectorError, RetryPolicy, oauth
from dagster_project.lib.connectors.salesforce import API_VERSION

FINAL_STATES = ("JobComplete", "Failed", "Aborted")


@dataclass
class JobResult:
    """What one ingest job did, record by record (rows as the CSV Salesforce returns them)."""

    job_id: str
    state: str
    error: str | None
    succeeded: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)  # with sf__Error
    unprocessed: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SalesforceBulk(ApiConnector):
    instance_url: str
    token_url: str
    client_id: str
    client_secret: str
    refresh_token: str | None = None
    retry: RetryPolicy = RetryPolicy()
    poll_seconds: float = 2.0
    poll_timeout_seconds: float = 1800.0

    def __post_init__(self) -> None:
        self.auth = oauth(self.token_url, self.client_id, self.client_secret, self.refresh_token)
        self.connect(
            self.instance_url,
            (self.client_id, self.client_secret, self.refresh_token),
            self.retry,
            auth=self.auth,
        )
        self.base = f"/services/data/{API_VERSION}/jobs/ingest"

    def _call(self, what: str, path: str, method: str = "GET", **kwargs: Any):
        try:
            return self.client.request(path, method=method, hooks=self.hooks(what), **kwargs)
        except ConnectorError as exc:
            raise ConnectorError(self.redact(exc), exc.retryable) from None
        except Exception as exc:  # dlt's client gave up (HTTP error or connection)
            status = getattr(getattr(exc, "response", None), "status_code", None)
            raise ConnectorError(
                self.redact(f"{what}: {exc}"),
                retryable=status is None or status >= 500 or status == 429,
            ) from None

    def create_job(self, sobject: str) -> str:
        body = {
            "object": sobject,
            "operation": "update",
            "contentType": "CSV",
            "columnDelimiter": "COMMA",
            "lineEnding": "LF",
        }
        return self._call(f"Bulk API create job {sobject}", self.base, "POST", json=body).json()[
            "id"
        ]

    def upload(self, job_id: str, payload: str) -> None:
        self._call(
            f"Bulk API upload {job_id}",
            f"{self.base}/{job_id}/batches",
            "PUT",
            data=payload.encode("utf-8"),
            headers={"Content-Type": "text/csv"},
        )

    def close(self, job_id: str) -> None:
        self._call(
            f"Bulk API close {job_id}",
            f"{self.base}/{job_id}",
            "PATCH",
            json={"state": "UploadComplete"},
        )

    def abort(self, job_id: str) -> None:
        self._call(
            f"Bulk API abort {job_id}", f"{self.base}/{job_id}", "PATCH", json={"state": "Aborted"}
        )

    def info(self, job_id: str) -> dict[str, Any]:
        return self._call(f"Bulk API job {job_id}", f"{self.base}/{job_id}").json()

    def wait(self, job_id: str) -> dict[str, Any]:
        """Poll the job until it ends (``poll_seconds`` apart, ``poll_timeout_seconds`` at most)."""
        deadline = time.monotonic() + self.poll_timeout_seconds
        while True:
            info = self.info(job_id)
            if info.get("state") in FINAL_STATES:
                return info
            if time.monotonic() > deadline:
                raise ConnectorError(
                    f"Bulk API job {job_id} still {info.get('state')} after "
                    f"{self.poll_timeout_seconds:.0f} s; its results are read next run"
                )
            time.sleep(self.poll_seconds)

    def results(self, job_id: str, kind: str) -> list[dict[str, str]]:
        """``successfulResults``, ``failedResults`` or ``unprocessedrecords`` as dict rows."""
        response = self._call(f"Bulk API {kind} {job_id}", f"{self.base}/{job_id}/{kind}/")
        # UTF-8 (the Bulk API's encoding), whatever the Content-Type says: requests would read a
        # text/csv answer without charset as ISO-8859-1
        text = response.content.decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text))) if text.strip() else []

    def collect(self, job_id: str) -> JobResult:
        """Wait for the job, then read what happened to every record."""
        info = self.wait(job_id)
        return JobResult(
            job_id=job_id,
            state=info["state"],
            error=info.get("errorMessage") or None,
            succeeded=self.results(job_id, "successfulResults"),
            failed=self.results(job_id, "failedResults"),
            unprocessed=self.results(job_id, "unprocessedrecords"),
        )

    def run_job(self, sobject: str, payload: str, on_created: Any = None) -> JobResult:
        """Create, upload, close and collect one job; ``on_created(job_id)`` is called before
        the upload so a run that dies mid-job can read the job's results next time."""
        job_id = self.create_job(sobject)
        if on_created is not None:
            on_created(job_id)
        self.upload(job_id, payload)
        self.close(job_id)
        return self.collect(job_id)
