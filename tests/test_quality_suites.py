"""The quality suites (reviewed YAML) and the validation rules, on the session's real warehouse."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.resources import DBT_PROJECT_DIR
from dagster_project.lib.landing.contracts import CONTRACTS, get_contract
from dagster_project.lib.landing.loader import load_object
from dagster_project.lib.quality.expectations import gx_batches_held, run_expectations
from dagster_project.lib.quality.rules import check_freshness, check_schema
from dagster_project.lib.quality.suite import (
    GX_CHECKS,
    SUITES_DIR,
    Settings,
    SuiteError,
    load_suite,
    load_suites,
)
from dagster_project.lib.quality.validation import evaluate
from tests.conftest import SAMPLE_AS_OF

AS_OF = datetime.fromisoformat(SAMPLE_AS_OF)


def test_every_raw_object_has_one_reviewed_suite():
    suites = load_suites()
    assert set(suites) == {c.table for c in CONTRACTS.values()}
    files = {p.relative_to(SUITES_DIR).as_posix() for p in SUITES_DIR.glob("*/*.yml")}
    assert files == {f"{c.system}/{c.object}.yml" for c in CONTRACTS.values()}
    for suite in suites.values():
        # every key column is covered by a blocking not-null expectation (load_suite checks it)
        keys = {
            e.kwargs["column"]
            for e in suite.for_check("keys_unique_and_not_null")
            if e.severity == "critical"
        }
        assert set(suite.contract.primary_key) <= keys
        # and every suite checks ranges or formats and required values
        assert suite.for_check("ranges_and_formats"), suite.table
        assert suite.for_check("columns_and_types"), suite.table


def test_every_suite_builds_in_great_expectations():
    for suite in load_suites().values():
        gx_suite = suite.gx_suite()
        assert len(gx_suite.expectations) == len(suite.expectations)
        assert {e.meta["check"] for e in gx_suite.expectations} <= set(GX_CHECKS)
        assert {e.severity.value for e in gx_suite.expectations} <= {"critical", "warning"}


def test_accepted_currencies_are_the_ones_with_exchange_rates():
    with (DBT_PROJECT_DIR / "seeds" / "exchange_rates.csv").open() as fh:
        seeded = {row["currency"].upper() for row in csv.DictReader(fh)}
    currency_sets = [
        (suite.table, e.kwargs["column"], {str(v).upper() for v in e.kwargs["value_set"]})
        for suite in load_suites().values()
        for e in suite.for_check("accepted_values")
        if "currency" in e.kwargs["column"].lower()
    ]
    assert len(currency_sets) >= 12  # accounts, campaigns, deals, three ad platforms, Stripe
    for table, column, values in currency_sets:
        assert values == seeded, (table, column)


def test_a_suite_that_does_not_fit_its_contract_is_refused(tmp_path):
    contract = get_contract("crm", "leads")
    good = (SUITES_DIR / "crm" / "leads.yml").read_text()
    typo = tmp_path / "typo.yml"
    typo.write_text(good.replace("{column: Status}", "{column: Statuss}", 1))
    with pytest.raises(SuiteError, match=r"typo\.yml.*'Statuss'.*raw_crm\.leads"):
        load_suite(contract, typo)
    no_key = tmp_path / "no_key.yml"
    no_key.write_text(
        good.replace("kwargs: {column: Id}}", "kwargs: {column: Id}, severity: warning}")
    )
    with pytest.raises(SuiteError, match="key column.*Id"):
        load_suite(contract, no_key)
    bad_param = tmp_path / "param.yml"
    bad_param.write_text(good.replace("$PARAMETER: max_timestamp", "$PARAMETER: tomorrow", 1))
    with pytest.raises(SuiteError, match="tomorrow"):
        load_suite(contract, bad_param)


@pytest.fixture
def warehouse_copy(loaded, tmp_path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded["warehouse"], path)
    return path


def test_chunked_validation_adds_up_to_the_whole_batch(warehouse_copy):
    suite = load_suites()["raw_crm.email_events"]
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute(
            "update raw_crm.email_events set event_type = 'spam_report' where _source_line % 97 = 0"
        )
        bad = con.execute(
            "select count(*) from raw_crm.email_events where event_type = 'spam_report'"
        ).fetchone()[0]
        total = con.execute("select count(*) from raw_crm.email_events").fetchone()[0]
        assert total > 3 * 2048 and bad > 10  # several chunks, failures in each
        sql = "select distinct _load_id from raw_crm.email_events"
        loads = [r[0] for r in con.execute(sql).fetchall()]
        whole, rows = run_expectations(con, suite, loads, now=AS_OF)
        chunked, chunked_rows = run_expectations(con, suite, loads, now=AS_OF, chunk_rows=2048)
    assert rows == chunked_rows == total
    for one, many in zip(whole, chunked, strict=True):
        assert (one.passed, one.failing_rows, one.rows_checked) == (
            many.passed,
            many.failing_rows,
            many.rows_checked,
        )
    event_type = next(f for f in chunked if f.check == "accepted_values")
    assert not event_type.passed and event_type.severity == "ERROR"
    assert event_type.failing_rows == bad
    assert len(event_type.examples) == 5
    assert all(e.startswith("spam_report at crm/email_events/") for e in event_type.examples)
    # nothing of the validated data stays in GX's execution engine after the validation
    assert gx_batches_held() == 0


def test_mostly_is_judged_on_the_whole_batch(warehouse_copy):
    suite = load_suites()["raw_crm.form_submissions"]  # email not null, mostly 0.95
    with duckdb.connect(str(warehouse_copy)) as con:
        sql = "select distinct _load_id from raw_crm.form_submissions"
        loads = [r[0] for r in con.execute(sql).fetchall()]
        # 8 % nulls, all in the first rows: the first chunk is far below 95 %, the batch not
        con.execute(
            "update raw_crm.form_submissions set email = null where _source_line <= "
            "(select 0.08 * count(*) from raw_crm.form_submissions)"
        )
        findings, _ = run_expectations(con, suite, loads, now=AS_OF, chunk_rows=2048)
        email = next(f for f in findings if f.column == "email" and "null" in f.expectation)
        assert not email.passed  # 8 % > 5 %
        con.execute(
            "update raw_crm.form_submissions set email = 'x@example.com' where _source_line > "
            "(select 0.04 * count(*) from raw_crm.form_submissions)"
        )
        findings, _ = run_expectations(con, suite, loads, now=AS_OF, chunk_rows=2048)
        email = next(f for f in findings if f.column == "email" and "null" in f.expectation)
        assert email.passed and email.failing_rows > 0  # 4 %: within mostly


def test_freshness_warns_when_the_newest_record_is_too_old(loaded, monkeypatch):
    suites = load_suites()
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        fresh, stats = check_freshness(
            con, suites["raw_crm.leads"], Settings(freshness_as_of=AS_OF)
        )
        assert fresh.passed and fresh.severity == "WARN"
        assert stats["age_hours"] < 72 and stats["max_age_hours"] == 72
        later = Settings(freshness_as_of=AS_OF + timedelta(days=10))
        later_as_of = later.freshness_as_of.isoformat()
        stale, stats = check_freshness(con, suites["raw_crm.leads"], later)
        assert not stale.passed and stale.severity == "WARN"
        assert "raw_crm.leads: newest record" in stale.message and "allowed: 72 h" in stale.message
        # a per-object override, and objects without a freshness expectation
        later = Settings.from_env(
            {"RJW_FRESHNESS_MAX_AGE_HOURS_CRM_LEADS": "1000", "RJW_FRESHNESS_AS_OF": later_as_of}
        )
        assert check_freshness(con, suites["raw_crm.leads"], later)[0].passed
        assert check_freshness(con, suites["raw_crm.users"], later)[0].passed


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RJW_FRESHNESS_MAX_AGE_HOURS", "12")
    monkeypatch.setenv("RJW_FRESHNESS_AS_OF", "2026-01-02T03:04:05Z")
    monkeypatch.setenv("RJW_QUALITY_REJECT_ERROR_RATE", "0.2")
    settings = Settings.from_env()
    assert settings.freshness_max_age_hours == 12
    assert settings.freshness_as_of.isoformat() == "2026-01-02T03:04:05+00:00"
    assert settings.reject_error_rate == 0.2
    assert settings.max_age_hours(load_suites()["raw_crm.leads"]) == 12
    assert settings.max_age_hours(load_suites()["raw_crm.opportunities"]) == 168  # suite's own
    monkeypatch.setenv("RJW_FRESHNESS_AS_OF", "yesterday")
    with pytest.raises(SuiteError, match="RJW_FRESHNESS_AS_OF"):
        Settings.from_env()


def test_schema_check_catches_a_column_retyped_behind_the_contract(warehouse_copy):
    suite = load_suites()["raw_crm.accounts"]
    with duckdb.connect(str(warehouse_copy)) as con:
        assert check_schema(con, suite).passed
        con.execute("alter table raw_crm.accounts alter NumberOfEmployees type varchar")
        con.execute("alter table raw_crm.accounts drop column Website")
        finding = check_schema(con, suite)
    assert not finding.passed and finding.severity == "ERROR"
    assert "NumberOfEmployees is VARCHAR, the contract says INTEGER" in finding.message
    assert "Website missing" in finding.message


def test_a_shrunken_redelivery_warns_on_volume_and_a_new_file_is_validated_alone(
    loaded, warehouse_copy, tmp_path
):
    landing = tmp_path / "landing"
    shutil.copytree(loaded["world"]["landing"], landing)
    path = next((landing / "crm" / "tasks").glob("*_full.csv"))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 4]))  # re-delivered with a quarter of the rows
    suite = load_suites()["raw_crm.tasks"]
    with duckdb.connect(str(warehouse_copy)) as con:
        load_object(con, suite.contract, landing)
        result = evaluate(
            con, suite, landing_root=landing, settings=Settings(freshness_as_of=AS_OF)
        )
    assert [ld.source_uri for ld in result.loads] == [path.relative_to(landing).as_posix()]
    assert result.rows_validated == len(lines) // 4 - 1
    volume = [f for f in result.findings if f.expectation.startswith("row volume")]
    assert len(volume) == 1 and not volume[0].passed and volume[0].severity == "WARN"
    assert "fewer than the" in volume[0].message and "the version it replaced" in volume[0].message
    assert not result.blocking_failures  # complete lines, nothing truncated: a warning only
