"""The one parser of environment values: text, numbers and flags, each error naming its variable.
``lib/settings.py`` (and the quality thresholds of ``lib/quality/suite.py``) use it."""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(ValueError):
    """An environment variable has a value the warehouse cannot use."""


def text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    """The trimmed value, or ``default`` when unset or blank."""
    value = (env.get(name) or "").strip()
    return value or default


def number(env: Mapping[str, str], name: str, default: float, minimum: float | None = 0) -> float:
    """A float (``default`` when unset); at least ``minimum`` unless that is None."""
    raw = text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a number") from None
    if minimum is not None and value < minimum:
        raise SettingsError(f"{name}={raw!r}: must be at least {minimum}")
    return value


def flag(env: Mapping[str, str], name: str) -> bool:
    """True for 1, true, yes or on (any case)."""
    return (text(env, name) or "").lower() in {"1", "true", "yes", "on"}
