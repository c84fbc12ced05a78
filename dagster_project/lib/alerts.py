"""Posting an alert to a chat webhook, with every secret redacted from what is sent or logged."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret (of four characters or more) replaced by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def post_json(url: str, payload: dict, timeout: float, attempts: int = 2) -> tuple[bool, str]:
    """POST ``payload`` as JSON; returns (delivered, what happened). Never raises, and never
    mentions the URL beyond its host (webhook URLs carry their token in the path)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False, "the webhook URL is not a valid http(s) URL"
    host = parts.hostname
    body = json.dumps(payload, default=str).encode()
    outcome = "not attempted"
    for _ in range(attempts):
        try:
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "rjw-alerts"},
            )
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return True, f"{host} answered {response.status}"
        except urllib.error.HTTPError as exc:
            outcome = f"{host} answered {exc.code}"
            if exc.code < 500:
                break  # the request itself is wrong: repeating it will not help
        except ValueError:
            return False, "the webhook URL is not a valid http(s) URL"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            outcome = f"{host} unreachable: {type(reason).__name__}"
    return False, outcome
