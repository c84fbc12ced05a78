"""The API extracts' settings: which source systems come from their APIs (``RJW_<SYSTEM>_SOURCE``
= ``files`` or ``api``), where the APIs are and which account to read, read from the
environment by ``lib/settings.py``. Credentials are only named here (``SECRET_ENVS``): their
values reach the resources as ``dg.EnvVar`` and are never held by a settings object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from dagster_project.lib.connectors.registry import API_OBJECTS, SOURCE_MODES
from dagster_project.lib.env import SettingsError
from dagster_project.lib.env import number as _number
from dagster_project.lib.env import text as _text

MODE_ENVS = {system: f"RJW_{system.upper()}_SOURCE" for system in API_OBJECTS}

# credentials per API: (environment variable, connector argument, required)
SECRETS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "salesforce": (
        ("RJW_SALESFORCE_CLIENT_ID", "client_id", True),
        ("RJW_SALESFORCE_CLIENT_SECRET", "client_secret", True),
        ("RJW_SALESFORCE_REFRESH_TOKEN", "refresh_token", False),
    ),
    "stripe": (("RJW_STRIPE_API_KEY", "api_key", True),),
    "google_ads": (
        ("RJW_GOOGLE_ADS_DEVELOPER_TOKEN", "developer_token", True),
        ("RJW_GOOGLE_ADS_CLIENT_ID", "client_id", True),
        ("RJW_GOOGLE_ADS_CLIENT_SECRET", "client_secret", True),
        ("RJW_GOOGLE_ADS_REFRESH_TOKEN", "refresh_token", True),
    ),
    "meta_ads": (("RJW_META_ACCESS_TOKEN", "access_token", True),),
    "linkedin_ads": (("RJW_LINKEDIN_ACCESS_TOKEN", "access_token", True),),
}
SECRET_ENVS = tuple(name for entries in SECRETS.values() for name, _, _ in entries)

# non-secret settings per API: (environment variable, connector argument, default)
PLAIN: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "salesforce": (
        ("RJW_SALESFORCE_INSTANCE_URL", "instance_url", None),
        # default: <instance_url>/services/oauth2/token
        ("RJW_SALESFORCE_TOKEN_URL", "token_url", None),
    ),
    "stripe": (("RJW_STRIPE_API_BASE", "base_url", "https://api.stripe.com"),),
    "google_ads": (
        ("RJW_GOOGLE_ADS_CUSTOMER_ID", "customer_id", None),
        ("RJW_GOOGLE_ADS_LOGIN_CUSTOMER_ID", "login_customer_id", None),
        ("RJW_GOOGLE_ADS_API_BASE", "base_url", "https://googleads.googleapis.com"),
        ("RJW_GOOGLE_ADS_TOKEN_URL", "token_url", "https://oauth2.googleapis.com/token"),
    ),
    "meta_ads": (
        ("RJW_META_AD_ACCOUNT_ID", "ad_account_id", None),
        ("RJW_META_API_BASE", "base_url", "https://graph.facebook.com"),
    ),
    "linkedin_ads": (
        ("RJW_LINKEDIN_AD_ACCOUNT_ID", "ad_account_id", None),
        ("RJW_LINKEDIN_API_BASE", "base_url", "https://api.linkedin.com"),
    ),
}
OPTIONAL_PLAIN = {"RJW_SALESFORCE_TOKEN_URL", "RJW_GOOGLE_ADS_LOGIN_CUSTOMER_ID"}
START_DATE_ENV = "RJW_ADS_START_DATE"
LOOKBACK_ENV = "RJW_ADS_LOOKBACK_DAYS"
ATTEMPTS_ENV = "RJW_API_MAX_ATTEMPTS"
BACKOFF_ENV = "RJW_API_BACKOFF_SECONDS"


@dataclass(frozen=True)
class ApiSettings:
    """Source modes and the APIs' non-secret settings (``plain[api][argument]``)."""

    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(API_OBJECTS, "files"))
    plain: dict[str, dict[str, str | None]] = field(default_factory=dict)
    ads_start_date: date | None = None  # None: two years before the run
    ads_lookback_days: int = 7
    max_attempts: int = 5
    backoff_seconds: float = 1.0

    @property
    def apis_in_use(self) -> list[str]:
        """The APIs the configured modes read from."""
        return sorted(
            {
                api
                for s, objs in API_OBJECTS.items()
                if self.modes[s] == "api"
                for api in objs.values()
            }
        )

    def start_date(self) -> date:
        return self.ads_start_date or (datetime.now(UTC).date() - timedelta(days=730))

    @classmethod
    def from_env(cls, env: Mapping[str, str], secrets_set: frozenset[str]) -> ApiSettings:
        """Parse the modes and, for the APIs in use, their settings; an API in use without its
        account or credentials fails here, naming the variables."""
        modes = {}
        for system, name in MODE_ENVS.items():
            mode = (_text(env, name, "files") or "files").lower()
            if mode not in SOURCE_MODES:
                raise SettingsError(f"{name}={mode!r}: expected one of {', '.join(SOURCE_MODES)}")
            modes[system] = mode
        raw_start = _text(env, START_DATE_ENV)
        try:
            start = date.fromisoformat(raw_start) if raw_start else None
        except ValueError:
            raise SettingsError(f"{START_DATE_ENV}={raw_start!r}: expected YYYY-MM-DD") from None
        out = cls(
            modes=modes,
            plain={
                api: {arg: _text(env, name, default) for name, arg, default in entries}
                for api, entries in PLAIN.items()
            },
            ads_start_date=start,
            ads_lookback_days=int(_number(env, LOOKBACK_ENV, 7)),
            max_attempts=int(_number(env, ATTEMPTS_ENV, 5, minimum=1)),
            backoff_seconds=_number(env, BACKOFF_ENV, 1.0),
        )
        missing = [
            name
            for api in out.apis_in_use
            for name, _, default in PLAIN[api]
            if default is None and name not in OPTIONAL_PLAIN and not _text(env, name)
        ] + [
            name
            for api in out.apis_in_use
            for name, _, required in SECRETS[api]
            if required and name not in secrets_set
        ]
        if missing:
            systems = ", ".join(f"{MODE_ENVS[s]}=api" for s, m in modes.items() if m == "api")
            raise SettingsError(f"{systems} needs {', '.join(missing)} to be set")
        return out
