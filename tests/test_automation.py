"""Nightly operation: schedule, landing sensor, extract retries and the failure webhook."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.test_utils import create_run_for_test
from dagster_duckdb import DuckDBResource

from dagster_project.defs import automation
from dagster_project.defs.resources import (
    AlertWebhook,
    LandingZone,
    PostgresTarget,
    QualityGate,
    ServingTarget,
)
from dagster_project.defs.serving.snapshot import duckdb_snapshot
from dagster_project.defs.sources.extract import build_extract_asset
from dagster_project.lib.landing.contracts import CONTRACTS
from dagster_project.lib.settings import Settings


# --------------------------------------------------------------------------- definitions
def test_definitions_carry_the_schedule_sensors_and_serving_assets():
    from dagster_project.definitions import defs

    dg.Definitions.validate_loadable(defs)
    schedule = defs.resolve_schedule_def("nightly_warehouse_build")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "UTC"
    assert schedule.job_name == "warehouse_build"
    assert defs.resolve_sensor_def("landing_zone_sensor").job_name == "warehouse_build"
    alert = defs.resolve_sensor_def("run_failure_alert")
    assert alert.default_status == dg.DefaultSensorStatus.RUNNING
    job = defs.resolve_job_def("warehouse_build")
    keys = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"serving/duckdb_snapshot", "serving/postgres_marts", "raw/crm/leads"} <= keys
    assert job.run_tags[automation.WRITER_TAG] == "warehouse"  # one writer at a time (dagster.yaml)


def test_extract_assets_retry_with_exponential_backoff():
    from dagster_project.defs.sources import crm

    policy = crm.assets[0].op.retry_policy
    assert policy.max_retries == 3 and policy.delay == 5
    assert policy.backoff == dg.Backoff.EXPONENTIAL
    custom = automation.extract_retry_policy(
        Settings.from_env(
            {"RJW_EXTRACT_MAX_RETRIES": "5", "RJW_EXTRACT_RETRY_DELAY_SECONDS": "0.5"}
        )
    )
    assert (custom.max_retries, custom.delay) == (5, 0.5)
    with pytest.raises(ValueError, match="RJW_EXTRACT_MAX_RETRIES"):
        automation.extract_retry_policy(Settings.from_env({"RJW_EXTRACT_MAX_RETRIES": "many"}))


def test_an_extract_step_retries_until_a_file_being_written_is_complete(
    small_world, tmp_path, monkeypatch
):
    """First attempt: the export has only part of its header (the exporter is still writing),
    so the contract check fails; the exporter finishes during the backoff and the retry loads
    the whole file."""
    contract = CONTRACTS[("crm", "campaigns")]
    policy = automation.extract_retry_policy(
        Settings.from_env({"RJW_EXTRACT_RETRY_DELAY_SECONDS": "2"})
    )
    asset = build_extract_asset(contract, policy)
    assert asset.op.retry_policy.delay == 2
    source = next((small_world["landing"] / contract.folder).glob("*.csv"))
    landing = tmp_path / "landing"
    target = landing / contract.folder / source.name
    target.parent.mkdir(parents=True)
    content = source.read_bytes()
    header = content.split(b"\n", 1)[0]
    target.write_bytes(header[: len(header) // 3])  # the exporter has just started
    instance = dg.DagsterInstance.ephemeral()
    outcome = {}

    def run() -> None:
        outcome["result"] = dg.materialize(
            [asset],
            instance=instance,
            resources={
                "duckdb": DuckDBResource(database=str(tmp_path / "wh.duckdb")),
                "landing": LandingZone(root=str(landing)),
            },
            raise_on_error=False,
        )

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and runner.is_alive():
        runs = instance.get_runs()
        if runs and instance.all_logs(
            runs[0].run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
        ):
            target.write_bytes(content)  # the exporter finishes during the backoff
            break
        time.sleep(0.05)
    runner.join(timeout=120)
    result = outcome["result"]
    assert result.success
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert len(retries) == 1
    assert "missing" in str(retries[0].event_specific_data.error).lower()
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["rows_loaded"].value == content.count(b"\n") - 1


# ------------------------------------------------------------------------------ schedule
def test_schedule_cron_and_timezone_come_from_the_environment():
    schedule = automation.build_nightly_schedule(
        Settings.from_env(
            {"RJW_SCHEDULE_CRON": "30 4 * * 1-5", "RJW_SCHEDULE_TIMEZONE": "Europe/Berlin"}
        )
    )
    assert schedule.cron_schedule == "30 4 * * 1-5"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    on = automation.build_nightly_schedule(Settings.from_env({"RJW_AUTOMATION_ON": "true"}))
    assert on.default_status == dg.DefaultScheduleStatus.RUNNING
    with pytest.raises(ValueError, match="RJW_SCHEDULE_CRON"):
        automation.build_nightly_schedule(Settings.from_env({"RJW_SCHEDULE_CRON": "every night"}))
    with pytest.raises(ValueError, match="RJW_SCHEDULE_TIMEZONE"):
        automation.build_nightly_schedule(
            Settings.from_env({"RJW_SCHEDULE_TIMEZONE": "Mars/Olympus"})
        )


def test_schedule_requests_one_run_per_night(tmp_path):
    """Files in the landing zone and no warehouse yet: the night runs (the skip of a night with
    nothing new is tested in test_nothing_new_night.py)."""
    schedule = automation.nightly_schedule
    night = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    landing = tmp_path / "landing" / "crm" / "accounts"
    landing.mkdir(parents=True)
    (landing / "accounts_20261123T020000Z_full.csv").write_text("Id,Name\n001A,Acme\n")
    resources = {
        "landing": LandingZone(root=str(tmp_path / "landing")),
        "duckdb": DuckDBResource(database=str(tmp_path / "warehouse.duckdb")),
        "quality": QualityGate(),
    }
    with dg.build_schedule_context(scheduled_execution_time=night, resources=resources) as context:
        data = schedule.evaluate_tick(context)
    [request] = data.run_requests
    assert request.run_key == "nightly:2026-11-24T02:00:00+00:00"
    assert request.tags["rjw/trigger"] == "schedule"
    with dg.build_schedule_context(scheduled_execution_time=night, resources=resources) as context:
        again = schedule.evaluate_tick(context)
    assert again.run_requests[0].run_key == request.run_key  # Dagster dedupes the same night


# ------------------------------------------------------------------------ landing sensor
@pytest.fixture
def landing_env(loaded, tmp_path, monkeypatch):
    """A copy of the loaded world's landing zone and warehouse, seen by the sensor."""
    landing = tmp_path / "landing"
    shutil.copytree(loaded["world"]["landing"], landing)
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], warehouse)
    # the sensor gets both as resources
    SENSOR_RESOURCES.update(
        landing=LandingZone(root=str(landing)), duckdb=DuckDBResource(database=str(warehouse))
    )
    yield {"landing": landing, "warehouse": warehouse}
    SENSOR_RESOURCES.clear()


SENSOR_RESOURCES: dict = {}


def _tick(instance: dg.DagsterInstance, cursor: str | None):
    sensor = automation.landing_sensor
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=SENSOR_RESOURCES
    ) as context:
        return sensor.evaluate_tick(context)


def test_landing_sensor_fires_once_for_new_content_only(landing_env):
    landing = landing_env["landing"]
    with dg.instance_for_test() as instance:
        # everything on disk is already loaded: no run, but the cursor remembers the listing
        first = _tick(instance, None)
        assert first.run_requests == [] and first.cursor
        assert "already loaded" in first.skip_message
        # nothing changed since: skipped without opening the warehouse
        same = _tick(instance, first.cursor)
        assert same.run_requests == [] and "no change" in same.skip_message
        assert same.cursor in (None, first.cursor)

        # a new export lands
        leads = sorted((landing / "crm" / "leads").glob("*.csv"))[-1]
        new_file = leads.with_name("leads_2099-01-01.csv")
        shutil.copy(leads, new_file)
        fired = _tick(instance, first.cursor)
        [request] = fired.run_requests
        assert request.run_key.startswith("landing:")
        assert request.tags["rjw/new_files"] == "1"
        assert request.tags["rjw/first_new_file"] == "crm/leads/leads_2099-01-01.csv"
        assert fired.cursor != first.cursor
        # evaluated again from the old cursor (e.g. a tick that was retried): same run key,
        # which Dagster refuses to submit twice
        assert _tick(instance, first.cursor).run_requests[0].run_key == request.run_key
        assert _tick(instance, fired.cursor).run_requests == []

        # a file rewritten with the same size but other bytes is found by its checksum
        data = bytearray(new_file.read_bytes())
        data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")
        new_file.write_bytes(bytes(data))
        changed = _tick(instance, fired.cursor)
        assert changed.run_requests and changed.run_requests[0].run_key != request.run_key

        # touching a loaded file (new mtime, same bytes) is not new content
        new_file.unlink()
        touched = sorted((landing / "crm" / "campaigns").glob("*.csv"))[0]
        touched.touch()
        quiet = _tick(instance, changed.cursor)
        assert quiet.run_requests == [] and "already loaded" in quiet.skip_message


def test_landing_sensor_waits_for_a_running_build(landing_env):
    landing = landing_env["landing"]
    leads = sorted((landing / "crm" / "leads").glob("*.csv"))[-1]
    shutil.copy(leads, leads.with_name("leads_2099-02-02.csv"))
    with dg.instance_for_test() as instance:
        run = create_run_for_test(
            instance, job_name="warehouse_build", status=dg.DagsterRunStatus.STARTED
        )
        busy = _tick(instance, "previous-cursor")
        assert busy.run_requests == [] and run.run_id in busy.skip_message
        assert busy.cursor in (None, "previous-cursor")  # look again after the run
        instance.report_run_failed(run)

        # a writer in another process holds the warehouse: wait, do not guess
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                "print('locked', flush=True); time.sleep(60)",
                str(landing_env["warehouse"]),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "locked"
            locked = _tick(instance, "previous-cursor")
            assert locked.run_requests == [] and "locked" in locked.skip_message
            assert locked.cursor in (None, "previous-cursor")
        finally:
            holder.kill()
            holder.wait()
        assert len(_tick(instance, "previous-cursor").run_requests) == 1


# ------------------------------------------------------------------------- failure alerts
class _Hook(BaseHTTPRequestHandler):
    received: list = []
    delay = 0.0
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)}
        )
        time.sleep(type(self).delay)
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):  # keep the test output quiet
        pass


@pytest.fixture
def webhook():
    """A real HTTP server on localhost that records the posts it receives."""
    handler = type("Hook", (_Hook,), {"received": [], "delay": 0.0, "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def failed_run(tmp_path):
    """A real run that really fails: the snapshot asset on a warehouse without marts."""
    instance = dg.DagsterInstance.ephemeral()
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    result = dg.materialize(
        [duckdb_snapshot],
        instance=instance,
        resources={
            "duckdb": DuckDBResource(database=str(empty)),
            "serving": ServingTarget(root=str(tmp_path / "serving")),
        },
        raise_on_error=False,
    )
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    [record] = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    yield instance, run, record.dagster_event
    instance.dispose()


def _context(failed_run, alerts=None, postgres=None) -> dg.RunFailureSensorContext:
    """The sensor's context with the alert settings as resources (off by default)."""
    instance, run, event = failed_run
    return dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=event,
        resources={"alerts": alerts or AlertWebhook(), "postgres": postgres or PostgresTarget()},
    ).for_run_failure()


def test_a_failed_run_is_posted_to_the_webhook(failed_run, webhook, monkeypatch, caplog):
    handler, base = webhook
    url = f"{base}/hooks/T000/SECRET-TOKEN"
    alerts = AlertWebhook(url=url, dagster_url="http://dagster.internal:3000/")
    caplog.set_level("DEBUG")
    assert automation.run_failure_alert(_context(failed_run, alerts)) is None
    [post] = handler.received
    body = post["body"]
    _, run, _ = failed_run
    assert post["path"] == "/hooks/T000/SECRET-TOKEN" and post["type"] == "application/json"
    assert body["job"] == run.job_name and body["run_id"] == run.run_id
    assert body["failed_step"] == "serving__duckdb_snapshot"
    assert body["failed_steps"] == ["serving__duckdb_snapshot"]
    assert "no marts tables to publish" in body["error"]
    assert body["error"].startswith("RuntimeError")  # the cause, not Dagster's wrapper
    assert body["run_url"] == f"http://dagster.internal:3000/runs/{run.run_id}"
    assert "failed at step serving__duckdb_snapshot" in body["text"]
    assert "SECRET-TOKEN" not in caplog.text


def test_alert_secrets_never_leave_in_the_message(failed_run, webhook, monkeypatch):
    handler, base = webhook
    alerts = AlertWebhook(url=f"{base}/hook")
    postgres = PostgresTarget(dsn="host=db user=pub password=hunter2-secret dbname=bi")
    text = "connection to host=db user=pub password=hunter2-secret failed; also hunter2-secret"
    assert "hunter2-secret" not in automation.redact(text, postgres.secrets())
    automation.run_failure_alert(_context(failed_run, alerts, postgres))
    assert "hunter2-secret" not in json.dumps(handler.received)


def test_alert_failures_never_crash_the_sensor(failed_run, webhook, monkeypatch):
    handler, base = webhook
    # off when unset
    skipped = automation.run_failure_alert(_context(failed_run))
    assert isinstance(skipped, dg.SkipReason) and "RJW_ALERT_WEBHOOK_URL" in skipped.skip_message
    # a server that answers too slowly: two attempts, each cut at the timeout
    handler.delay = 2.0
    context = _context(failed_run, AlertWebhook(url=f"{base}/slow/TOKEN", timeout_seconds=0.3))
    started = time.monotonic()
    slow = automation.run_failure_alert(context)
    assert time.monotonic() - started < 1.9
    assert isinstance(slow, dg.SkipReason) and "TOKEN" not in slow.skip_message
    # a server error is tried twice, then reported
    handler.delay, handler.status = 0.0, 503
    handler.received.clear()
    failed = automation.run_failure_alert(context)
    assert "503" in failed.skip_message and len(handler.received) == 2
    # nobody listening
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    context = _context(failed_run, AlertWebhook(url=f"http://127.0.0.1:{closed}/x"))
    assert "unreachable" in automation.run_failure_alert(context).skip_message
    for wrong in ("not a url", "file:///etc/passwd"):
        context = _context(failed_run, AlertWebhook(url=wrong))
        assert "not a valid" in automation.run_failure_alert(context).skip_message


def test_workspace_loads_in_the_dagster_cli():
    """`dagster definitions validate` loads workspace.yaml as `dagster dev` does."""
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate"]
        + ["-w", str(repo / "workspace.yaml")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Validation successful" in out.stdout + out.stderr


def test_the_production_instance_config_queues_warehouse_runs_one_at_a_time(tmp_path):
    """The production instance config (dagster_project/deploy/dagster.yaml) loads and
    serialises the job's runs."""
    repo = Path(__file__).resolve().parents[1]
    shutil.copy(repo / "dagster_project" / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        queue = instance.get_concurrency_config().run_queue_config
        assert {
            "key": automation.WRITER_TAG,
            "value": automation.warehouse_job.run_tags[automation.WRITER_TAG],
            "limit": 1,
        } in queue.tag_concurrency_limits
        assert instance.run_monitoring_enabled
        # one step at a time in the pool of every asset and check that writes the warehouse
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1 and pools.pool_granularity.value == "op"


def test_every_asset_and_check_that_opens_the_warehouse_is_in_the_warehouse_pool():
    from dagster_project.definitions import asset_checks, assets
    from dagster_project.defs.resources import WAREHOUSE_POOL

    users = [d for d in [*assets, *asset_checks] if "duckdb" in d.required_resource_keys]
    assert len(users) > 30
    for node in users:
        for op in node.node_def.iterate_op_defs():
            assert op.pool == WAREHOUSE_POOL, f"{node.node_def.name} is not in the pool"
