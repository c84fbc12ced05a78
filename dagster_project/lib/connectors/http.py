"""HTTP for the API extracts, done by dlt: its ``RESTClient`` pages, its requests ``Client``
retries 429 and 5xx with exponential backoff honouring ``Retry-After``, its auth classes sign
requests. What dlt has no class for is here and small: an OAuth 2.0 token that is refreshed when
the API answers 401 (Salesforce sessions end without notice), a request counter, and the
redaction that keeps credentials out of every message.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from dlt.common.configuration.specs import configspec
from dlt.sources.helpers.requests.retry import Client
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth, OAuth2ClientCredentials
from dlt.sources.helpers.rest_client.paginators import BasePaginator

REDACTED = "***"
# query parameters that carry a credential in any of the five APIs
SECRET_PARAMS = {"access_token", "client_secret", "refresh_token", "api_key", "key", "token"}


class ConnectorError(RuntimeError):
    """An API extract failed; the message names the API, the object and the request, and holds
    no credential (it went through ``Redactor``). ``retryable`` is False for an answer a later
    attempt would get again (a 4xx other than 429: bad credentials, a refused request)."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class ApiHttpError(requests.HTTPError):
    """An error answer (redacted message). A ``requests.HTTPError`` carrying its response, so
    dlt's retrying session retries it when the status is 429 or 5xx."""


@dataclass
class Redactor:
    """Replaces every credential value (and any bearer token or secret query parameter) in a
    text by ``***``; used on every message an extract raises or logs."""

    secrets: list[str] = field(default_factory=list)

    def add(self, *values: str | None) -> None:
        self.secrets.extend(v for v in values if v and len(v) >= 4 and v not in self.secrets)

    def __call__(self, text: object) -> str:
        out = str(text)
        for secret in sorted(self.secrets, key=len, reverse=True):
            out = out.replace(secret, REDACTED)
        out = re.sub(r"(?i)(bearer|oauth)\s+[A-Za-z0-9._~+/=!-]{8,}", rf"\1 {REDACTED}", out)
        return re.sub(
            r"(?i)\b(" + "|".join(SECRET_PARAMS) + r")=([^&\s\"']+)", rf"\1={REDACTED}", out
        )

    def url(self, url: str) -> str:
        """A request URL without credentials (the ``_source_uri`` of what it delivered)."""
        parts = urlsplit(url)
        query = [
            (k, REDACTED if k.lower() in SECRET_PARAMS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return self(urlunsplit(parts._replace(query=urlencode(query, safe="*:,()[]"))))


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long dlt's client retries a 429 or 5xx answer or a dropped connection
    (a ``Retry-After`` header sets the wait when the API sends one)."""

    max_attempts: int = 5
    backoff_factor: float = 1.0
    max_delay_seconds: float = 60.0
    timeout_seconds: float = 60.0


@dataclass
class RequestCounter:
    """Requests an extract sent, by API host path, for the asset's metadata and the benchmark."""

    by_status: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.by_status[response.status_code] += 1


@configspec
class RefreshingOAuth2(OAuth2ClientCredentials):
    """OAuth 2.0 with a client id and secret, by the refresh-token grant when a refresh token is
    given, else client credentials. The token is fetched before the first request, again when it
    has expired (``expires_in``) and again when the API answers 401: the request is then sent
    once more with the new token. Salesforce's token answer has no ``expires_in``; its sessions
    end by timeout or by an administrator, seen only as a 401."""

    refresh_token: str | None = None
    token_attempts: int = 0  # tokens obtained (for the metadata and tests)

    def build_access_token_request(self) -> dict[str, Any]:
        request = super().build_access_token_request()
        if self.refresh_token:
            request["data"] |= {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        return request

    def obtain_token(self) -> None:
        response = self.session.post(self.access_token_url, **self.build_access_token_request())
        if response.status_code >= 400:  # (redacted by the extract that catches it)
            status = response.status_code
            raise ConnectorError(
                f"the token request to {self.access_token_url} was refused: HTTP "
                f"{status} {response.text[:300]}",
                retryable=status >= 500 or status == 429,
            )
        body = response.json()
        self.parse_native_representation(self.parse_access_token(body))
        import pendulum

        self.token_expiry = pendulum.now().add(seconds=self.parse_expiration_in_seconds(body))
        self.token_attempts += 1

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request = super().__call__(request)
        # first among the response hooks, so the ones after it see the answer to the retry
        if self._refresh_on_401 not in request.hooks["response"]:
            request.hooks["response"].insert(0, self._refresh_on_401)
        return request

    def _refresh_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or getattr(response.request, "_rjw_reauthorised", False):
            return response
        response.content  # noqa: B018 (read the body so the connection can be reused)
        self.obtain_token()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {self.access_token}"
        retry._rjw_reauthorised = True  # type: ignore[attr-defined]
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return again


def bearer(token: str) -> BearerTokenAuth:
    return BearerTokenAuth(token=token)


def api_client(
    base_url: str,
    *,
    auth: Any = None,
    headers: dict[str, str] | None = None,
    paginator: BasePaginator | None = None,
    retry: RetryPolicy | None = None,
    counter: RequestCounter | None = None,
) -> RESTClient:
    """dlt's REST client with dlt's retrying session (429 and 5xx, ``Retry-After`` honoured);
    errors are raised by the extract (``raise_for_status``) with a redacted message."""
    retry = retry or RetryPolicy()
    session = Client(
        request_timeout=retry.timeout_seconds,
        raise_for_status=False,
        request_max_attempts=retry.max_attempts,
        request_backoff_factor=retry.backoff_factor,
        request_max_retry_delay=retry.max_delay_seconds,
        respect_retry_after_header=True,
    ).session
    if counter is not None:
        session.hooks["response"].append(counter.hook)
    if isinstance(auth, OAuth2ClientCredentials):
        auth.session = session
    return RESTClient(
        base_url=base_url, headers=headers, auth=auth, paginator=paginator, session=session
    )


def raise_for_status(response: requests.Response, redact: Redactor, what: str) -> None:
    """Raise a ``ConnectorError`` naming the request and the API's own error text (redacted)."""
    if response.status_code < 400:
        return
    raise ApiHttpError(
        redact(
            f"{what}: {response.request.method} {redact.url(response.request.url)} answered "
            f"HTTP {response.status_code} {response.reason}: {response.text[:500]}"
        ),
        response=response,
    )


def error_hook(redact: Redactor, what: str):
    """A response hook for ``RESTClient.paginate`` that raises a redacted ``ApiHttpError``."""

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        raise_for_status(response, redact, what)

    return hook


def with_params(url: str, params: Iterable[tuple[str, str]]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params)
    return urlunsplit(parts._replace(query=urlencode(query, safe="*:,()[]")))


class ApiConnector:
    """What every connector shares: dlt's client for its API, the request counter and the
    redactor of its credentials (``connect``), and the response hooks of a request (``hooks``)."""

    redact: Redactor
    counter: RequestCounter
    client: RESTClient

    def connect(
        self,
        base_url: str,
        secrets: Iterable[str | None],
        retry: RetryPolicy,
        *,
        auth: Any = None,
        headers: dict[str, str] | None = None,
        paginator: BasePaginator | None = None,
    ) -> None:
        self.redact = Redactor()
        self.redact.add(*secrets)
        self.counter = RequestCounter()
        self.client = api_client(
            base_url.rstrip("/"),
            auth=auth,
            headers=headers,
            paginator=paginator,
            retry=retry,
            counter=self.counter,
        )

    def hooks(self, what: str) -> dict[str, list]:
        """Count the answer, then raise a redacted ``ApiHttpError`` naming ``what`` on an error."""
        return {"response": [self.counter.hook, error_hook(self.redact, what)]}


def oauth(token_url: str, client_id: str, client_secret: str, refresh_token: str | None):
    """The refreshing OAuth 2.0 auth of Salesforce and Google Ads."""
    return RefreshingOAuth2(
        access_token_url=token_url,
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
    )
