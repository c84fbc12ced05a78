"""Nightly operation: the job, its schedule, the landing-zone sensor, retries and failure alerts.

Schedules and sensors run in ``dagster-daemon`` (``dagster dev`` starts one). Their settings come
from ``lib/settings.Settings`` (the environment, read once when the code location loads); the
sensors get the landing zone, the warehouse and the webhook as resources:

| variable | default | meaning |
| --- | --- | --- |
| ``RJW_SCHEDULE_CRON`` | ``0 2 * * *`` | when the nightly run starts |
| ``RJW_SCHEDULE_TIMEZONE`` | ``UTC`` | IANA time zone of the cron |
| ``RJW_AUTOMATION_ON`` | ``false`` | schedule and landing sensor start running without a click |
| ``RJW_LANDING_SENSOR_INTERVAL_SECONDS`` | ``60`` | how often the landing zone is checked |
| ``RJW_EXTRACT_MAX_RETRIES`` | ``3`` | retries of a failed extract step |
| ``RJW_EXTRACT_RETRY_DELAY_SECONDS`` | ``5`` | first retry delay; doubles each time (+/- jitter) |
| ``RJW_ALERT_WEBHOOK_URL`` | unset (off) | where a failed run is posted as JSON |
| ``RJW_ALERT_TIMEOUT_SECONDS`` | ``10`` | timeout of one webhook post |
| ``RJW_DAGSTER_URL`` | unset | base URL of the Dagster UI, for a link to the failed run |
"""

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import (
    SETTINGS,
    AlertWebhook,
    LandingZone,
    PostgresTarget,
    QualityGate,
    dbt_project,
    dbt_vars,
)
from dagster_project.lib.alerts import post_json, redact
from dagster_project.lib.build_state import project_fingerprint
from dagster_project.lib.landing.watch import (
    WarehouseBusy,
    fingerprint,
    landing_listing,
    loaded_files,
    unloaded_files,
)
from dagster_project.lib.night_check import check_night
from dagster_project.lib.settings import CRON_ENV, TIMEZONE_ENV, WEBHOOK_ENV, Settings

# Runs of the job carry this tag: dagster.yaml limits it to one run at a time, because DuckDB
# allows a single writer per file (see the README's production notes).
WRITER_TAG = "rjw/writes"
ERROR_CHARS = 2000

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


# ------------------------------------------------------------------------------------- retries
def extract_retry_policy(settings: Settings = SETTINGS) -> dg.RetryPolicy:
    """Retries of an extract step: transient failures (a file still being written, the warehouse
    locked by a reader) pass on a later attempt; a contract violation fails every attempt and
    shows after the last. Delays grow exponentially: 5 s, 10 s, 20 s (+/- jitter) by default."""
    return dg.RetryPolicy(
        max_retries=settings.extract_max_retries,
        delay=settings.extract_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


# ------------------------------------------------------------------------------------------ job
# The whole graph: extract every source object, build and test the dbt models, publish.
warehouse_job = dg.define_asset_job(
    "warehouse_build",
    selection=dg.AssetSelection.all(),
    description="Load new landing files into the raw schemas, `dbt build` the models, then "
    "publish the marts (DuckDB snapshot, PostgreSQL when configured).",
    run_tags={WRITER_TAG: "warehouse"},
)

jobs = [warehouse_job]


def _default_status(settings: Settings) -> dg.DefaultScheduleStatus:
    on = settings.automation_on
    return dg.DefaultScheduleStatus.RUNNING if on else dg.DefaultScheduleStatus.STOPPED


def _runs_in_progress(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    """Queued or running runs of any job: every job of this code location writes the warehouse
    (a materialisation started from the UI runs as its own ad-hoc job)."""
    return list(instance.get_runs(filters=dg.RunsFilter(statuses=IN_PROGRESS), limit=5))


# ------------------------------------------------------------------------------------- schedule
def nightly_decision(
    stamp: str,
    landing: Path,
    warehouse: Path,
    quality_settings=None,
    modes=None,
    spark_dir: Path | None = None,
) -> dg.RunRequest | dg.SkipReason:
    """The night's run, or a skip when nothing is new: every landing file loaded and the last dbt
    build current (lib/night_check.py). A skip names the sources older than their allowed age,
    since freshness is what a night with nothing new still has to tell."""
    try:
        night = check_night(
            warehouse,
            landing,
            # (the build's vars: on Spark with spark_dir, see defs/transform/dbt.py)
            project_fingerprint(dbt_project.project_dir, dbt_vars(warehouse, spark_dir=spark_dir)),
            quality_settings,
            modes,
        )
    except WarehouseBusy:
        night = None  # a writer holds the warehouse: the run queues behind it (run tag)
    if night is not None and night.nothing_new:
        stale = night.stale
        freshness = (
            f"; older than allowed: {'; '.join(f.message for f in stale)}"
            if stale
            else f"; all {len(night.freshness)} sources within their allowed age"
        )
        return dg.SkipReason(f"{night.reason}{freshness}"[:4000])
    return dg.RunRequest(
        run_key=f"nightly:{stamp}",
        tags={"rjw/trigger": "schedule", "rjw/scheduled_for": stamp},
    )


def build_nightly_schedule(settings: Settings = SETTINGS) -> dg.ScheduleDefinition:
    """The nightly run of the whole job, at ``RJW_SCHEDULE_CRON`` in ``RJW_SCHEDULE_TIMEZONE``;
    skipped (with the reason and the sources' freshness) when nothing is new."""
    cron, timezone = settings.schedule_cron, settings.schedule_timezone
    try:

        @dg.schedule(
            name="nightly_warehouse_build",
            job=warehouse_job,
            cron_schedule=cron,
            execution_timezone=timezone,
            default_status=_default_status(settings),
            description=f"Runs the whole graph at `{cron}` ({timezone}) unless nothing is new "
            f"(every landing file loaded, the dbt build current); set {CRON_ENV} and "
            f"{TIMEZONE_ENV} to change it.",
        )
        def nightly(
            context: dg.ScheduleEvaluationContext,
            landing: LandingZone,
            duckdb: DuckDBResource,
            quality: QualityGate,
        ) -> dg.RunRequest | dg.SkipReason:
            scheduled = context.scheduled_execution_time
            stamp = scheduled.isoformat() if scheduled else datetime.now(UTC).isoformat()
            return nightly_decision(
                stamp,
                landing.path,
                Path(duckdb.database),
                quality.settings(),
                settings.api.modes,
                settings.spark_dir if settings.dbt_target == "spark" else None,
            )

    except dg.DagsterInvalidDefinitionError as exc:
        raise ValueError(f"{CRON_ENV}={cron!r} is not a valid cron schedule: {exc}") from exc
    return nightly


# ------------------------------------------------------------------------------- landing sensor
def evaluate_landing(
    instance: dg.DagsterInstance,
    cursor: str | None,
    landing_root: Path,
    warehouse: Path,
    modes=None,
) -> dg.SensorResult | dg.SkipReason:
    """The landing sensor's decision, separated from the decorator for tests and reuse.

    The cursor is the fingerprint of the last listing acted on. An unchanged listing is skipped
    without touching anything else; a changed one is compared with the load manifest, and a run
    is requested only for content not loaded yet. The run key is the fingerprint of those files,
    so the same files never start a second run."""
    listing = landing_listing(landing_root, modes)
    current = fingerprint(listing)
    if current == cursor:
        return dg.SkipReason(f"no change in {landing_root} ({len(listing)} files)")
    if active := _runs_in_progress(instance):
        # the run will load whatever is there; look again when it is over (cursor kept)
        return dg.SkipReason(f"run {active[0].run_id} is in progress; checking after it")
    try:
        loaded = loaded_files(warehouse)
    except WarehouseBusy:
        return dg.SkipReason("the warehouse is locked by a writer; checking again next tick")
    new = unloaded_files(landing_root, listing, loaded)
    if not new:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(
                f"{len(listing)} files changed on disk but every one is already loaded"
            ),
            cursor=current,
        )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"landing:{fingerprint(new)}",
                tags={
                    "rjw/trigger": "landing_sensor",
                    "rjw/new_files": str(len(new)),
                    "rjw/first_new_file": new[0][1][:200],
                },
            )
        ],
        cursor=current,
    )


def build_landing_sensor(settings: Settings = SETTINGS) -> dg.SensorDefinition:
    """Starts the job when new or changed files land in the landing zone (files of objects a
    system in api mode takes from its API are not watched)."""
    modes = dict(settings.api.modes)

    @dg.sensor(
        name="landing_zone_sensor",
        job=warehouse_job,
        minimum_interval_seconds=settings.landing_sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus(_default_status(settings).value),
        description="Starts `warehouse_build` when files that are not loaded yet appear in the "
        "landing zone (new paths or changed content); never twice for the same files.",
    )
    def landing_zone_sensor(
        context: dg.SensorEvaluationContext, landing: LandingZone, duckdb: DuckDBResource
    ):
        return evaluate_landing(
            context.instance, context.cursor, landing.path, Path(duckdb.database), modes
        )

    return landing_zone_sensor


# ------------------------------------------------------------------------------- failure alerts
def _root_message(error) -> str:
    """The innermost cause of a serialised error: the user code's message, not Dagster's
    wrapper ("Error occurred while executing op ...")."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    if error is None:
        return ""
    return f"{error.cls_name}: {error.message.strip()}" if error.cls_name else error.message


def failure_payload(
    context: dg.RunFailureSensorContext, secrets: list[str], dagster_url: str | None = None
) -> dict:
    """The JSON posted for a failed run: job, run id, failed step(s), error message, and a
    ``text`` line that chat webhooks (Slack, Mattermost, Teams) show as is."""
    run = context.dagster_run
    steps = context.get_step_failure_events()
    failed = [e.step_key for e in steps]
    if steps:
        error = _root_message(steps[0].event_specific_data.error)
    else:  # the run failed outside a step (e.g. the run worker crashed)
        data = context.failure_event.event_specific_data
        error = _root_message(getattr(data, "error", None)) or context.failure_event.message or ""
    error = redact(error, secrets)[:ERROR_CHARS]
    base = (dagster_url or "").rstrip("/")
    payload = {
        "event": "run_failure",
        "job": run.job_name,
        "run_id": run.run_id,
        "failed_step": failed[0] if failed else None,
        "failed_steps": failed,
        "error": error,
        "tags": {k: v for k, v in run.tags.items() if k.startswith("rjw/")},
        "occurred_at": datetime.now(UTC).isoformat(),
        "run_url": f"{base}/runs/{run.run_id}" if base else None,
    }
    where = f" at step {failed[0]}" if failed else ""
    payload["text"] = f"Dagster run {run.run_id[:8]} of {run.job_name} failed{where}: " + (
        error.splitlines()[0][:300] if error else "(no message)"
    )
    return payload


def notify_failure(
    context: dg.RunFailureSensorContext, alerts: AlertWebhook, postgres: PostgresTarget
) -> dg.SkipReason | None:
    """Post the failed run to the alert webhook (off while its URL is unset)."""
    url = (alerts.url or "").strip()
    if not url:
        return dg.SkipReason(f"{WEBHOOK_ENV} is not set: no alert sent")
    secrets = [url, *postgres.secrets()]
    payload = failure_payload(context, secrets, alerts.dagster_url)
    delivered, outcome = post_json(url, payload, alerts.timeout_seconds)
    message = f"failure alert for run {payload['run_id']}: {outcome}"
    if delivered:
        context.log.info(message)
        return None
    context.log.warning(message)
    return dg.SkipReason(message)


@dg.run_failure_sensor(
    name="run_failure_alert",
    minimum_interval_seconds=30,
    # on by default: it does nothing until RJW_ALERT_WEBHOOK_URL is set, and an alert that
    # someone forgot to switch on is worse than none
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=f"Posts every failed run of this code location (job, run id, failed step, error) "
    f"as JSON to `{WEBHOOK_ENV}`.",
)
def run_failure_alert(
    context: dg.RunFailureSensorContext, alerts: AlertWebhook, postgres: PostgresTarget
):
    """Tells the team when a run fails."""
    return notify_failure(context, alerts, postgres)


nightly_schedule = build_nightly_schedule()
landing_sensor = build_landing_sensor()
