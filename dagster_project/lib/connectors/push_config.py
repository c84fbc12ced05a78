"""The write-back's settings: per target (Salesforce and the three ad platforms) ``dry_run``,
``live`` or ``off`` (``RJW_PUSH_<TARGET>``), where dry-run payloads go, and the platforms'
conversion targets. Credentials are the API extract's (``config.SECRETS``), named only.

Defaults: Salesforce goes live once its credentials and instance are configured (the same ones
the extract uses) and is a dry-run until then; an ad platform is a dry-run until it is opted in
with ``RJW_PUSH_<PLATFORM>=live``. ``live`` without what it needs fails when the code location
loads, naming the missing variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dagster_project.lib.connectors.config import OPTIONAL_PLAIN, PLAIN, SECRETS
from dagster_project.lib.env import SettingsError
from dagster_project.lib.env import number as _number
from dagster_project.lib.env import text as _text

PUSH_TARGETS = ("salesforce", "google_ads", "meta_ads", "linkedin_ads")
PUSH_MODES = ("dry_run", "live", "off")
MODE_ENVS = {target: f"RJW_PUSH_{target.upper()}" for target in PUSH_TARGETS}
DIR_ENV = "RJW_PUSH_DIR"  # (read by lib/settings.py with the other paths)
MAX_RECORDS_ENV = "RJW_PUSH_MAX_RECORDS_PER_JOB"
POLL_ENV = "RJW_PUSH_POLL_SECONDS"
AS_OF_ENV = "RJW_PUSH_AS_OF"
# what each platform's conversions go to: (environment variable, key in ``targets``)
TARGET_ENVS: dict[str, tuple[tuple[str, str], ...]] = {
    "salesforce": (),
    "google_ads": (
        ("RJW_GOOGLE_ADS_CONVERSION_ACTION_QUALIFIED_LEAD", "qualified_lead"),
        ("RJW_GOOGLE_ADS_CONVERSION_ACTION_WON_DEAL", "won_deal"),
    ),
    "meta_ads": (("RJW_META_PIXEL_ID", "pixel_id"),),
    "linkedin_ads": (
        ("RJW_LINKEDIN_CONVERSION_QUALIFIED_LEAD", "qualified_lead"),
        ("RJW_LINKEDIN_CONVERSION_WON_DEAL", "won_deal"),
    ),
}


@dataclass(frozen=True)
class PushSettings:
    """Modes per target, conversion targets per platform, Bulk API job size and polling."""

    modes: dict[str, str] = field(default_factory=lambda: dict.fromkeys(PUSH_TARGETS, "dry_run"))
    targets: dict[str, dict[str, str]] = field(default_factory=dict)
    max_records_per_job: int = 10_000
    poll_seconds: float = 2.0
    # the clock the platforms' age limits are measured on (ISO 8601); None: the run's time
    as_of: str | None = None

    @property
    def live(self) -> list[str]:
        return [t for t in PUSH_TARGETS if self.modes.get(t) == "live"]

    @classmethod
    def from_env(cls, env: Mapping[str, str], secrets_set: frozenset[str]) -> PushSettings:
        def needs(target: str) -> list[str]:
            plain = [
                name
                for name, _, default in PLAIN[target]
                if default is None and name not in OPTIONAL_PLAIN and not _text(env, name)
            ]
            secret = [name for name, _, req in SECRETS[target] if req and name not in secrets_set]
            targets = [name for name, _ in TARGET_ENVS[target] if not _text(env, name)]
            return plain + secret + targets

        modes = {}
        for target, name in MODE_ENVS.items():
            raw = (_text(env, name) or "").lower()
            if raw and raw not in PUSH_MODES:
                raise SettingsError(f"{name}={raw!r}: expected one of {', '.join(PUSH_MODES)}")
            if not raw:  # Salesforce: live once configured; the ad platforms: opt in
                raw = "live" if target == "salesforce" and not needs(target) else "dry_run"
            modes[target] = raw
            missing = needs(target) if raw == "live" else []
            if missing:
                raise SettingsError(f"{name}=live needs {', '.join(missing)} to be set")
        return cls(
            modes=modes,
            targets={
                target: {key: _text(env, name) for name, key in entries if _text(env, name)}
                for target, entries in TARGET_ENVS.items()
            },
            max_records_per_job=int(_number(env, MAX_RECORDS_ENV, 10_000, minimum=1)),
            poll_seconds=_number(env, POLL_ENV, 2.0),
            as_of=_text(env, AS_OF_ENV),
        )
