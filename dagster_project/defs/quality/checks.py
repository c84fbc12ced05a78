"""Dagster asset checks on the raw assets: the quality gate between landing and the marts.

One ``@multi_asset_check`` per raw asset (``raw/<system>/<object>``) runs right after its extract
and reports six checks: ``columns_and_types``, ``keys_unique_and_not_null``,
``accepted_values``, ``ranges_and_formats``, ``load_completeness`` and ``freshness``.

Blocking: the first five are ``blocking=True``. A check that fails with ERROR severity makes
this step fail after it has reported every result (dagster's step executor raises
``DagsterAssetCheckFailedError`` for failed blocking ERROR evaluations). Dagster builds the job
so that every asset downstream of the raw asset also waits on these blocking checks
(``BlockingAssetChecksDependencyDefinition`` in ``dagster/_core/definitions/assets/job/
asset_job.py``): the load audit, the ``dbt_models`` multi-asset (one ``dbt build`` step for
all models, so one bad raw table holds back every model, not only its own lineage) and what
comes after it are skipped, and the marts keep their last good build. WARN failures (and the
non-blocking ``freshness`` check) do not stop anything: they show in the UI with their metadata.

Each check's metadata names the table, the failing expectations with their column, failing row
count and example values at ``file:line``, links to the HTML report, and carries the details as
JSON. A check that needs nothing new (no new files) still re-runs the whole-table SQL rules and
reports "0 rows validated".
"""

import time
from collections.abc import Iterator

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import (
    WAREHOUSE_POOL,
    LandingZone,
    QualityGate,
    ReportsFolder,
)
from dagster_project.lib.html import quality_report as report
from dagster_project.lib.landing.contracts import CONTRACTS, Contract
from dagster_project.lib.landing.manifest import ensure_raw_tables
from dagster_project.lib.quality import model_tests, store
from dagster_project.lib.quality.findings import Evaluation, Finding, accept_loads
from dagster_project.lib.quality.suite import (
    CHECK_DESCRIPTIONS,
    CHECKS,
    Suite,
    load_suites,
)
from dagster_project.lib.quality.validation import evaluate

NON_BLOCKING = {"freshness"}
SEVERITY = {"ERROR": dg.AssetCheckSeverity.ERROR, "WARN": dg.AssetCheckSeverity.WARN}


def _findings_table(findings: list[Finding]) -> str:
    frame = pd.DataFrame(
        [
            {
                "severity": f.severity,
                "column": f.column or "",
                "expectation": f.expectation,
                "failing rows": f"{f.failing_rows} of {f.rows_checked}",
                "examples": "; ".join(f.examples[:3]).replace("|", "\\|"),
            }
            for f in findings
        ]
    )
    return frame.to_markdown(index=False)


def check_result(
    evaluation: Evaluation, check: str, contract: Contract, report_link: str
) -> dg.AssetCheckResult:
    """The Dagster result of one check: the worst failing finding sets pass and severity."""
    findings = evaluation.for_check(check)
    failing = [f for f in findings if not f.passed]
    errors = [f for f in failing if f.severity == "ERROR"]
    severity = "ERROR" if errors else "WARN"
    worst = errors or failing
    metadata: dict[str, dg.RawMetadataValue] = {
        "table": evaluation.table,
        "rules_evaluated": len(findings),
        "rules_failed": len(failing),
        "failing_rows": sum(f.failing_rows for f in failing),
        "rows_validated": evaluation.rows_validated,
        "files_validated": dg.MetadataValue.json([ld.source_uri for ld in evaluation.loads]),
        "report": dg.MetadataValue.url(report_link),
        "details": dg.MetadataValue.json([f.as_dict() for f in findings]),
    }
    if failing:
        metadata["failures"] = dg.MetadataValue.md(_findings_table(failing))
    if check == "freshness" and evaluation.stats.get("freshness"):
        for key, value in evaluation.stats["freshness"].items():
            metadata[key] = value if value is not None else "(none)"
    if check in ("keys_unique_and_not_null", "columns_and_types", "accepted_values"):
        metadata["seconds_great_expectations"] = round(
            evaluation.seconds.get("great_expectations", 0.0), 3
        )
    description = (
        " | ".join(f.message for f in worst)
        if failing
        else f"{evaluation.table}: {len(findings)} rule(s) pass. {CHECK_DESCRIPTIONS[check]}"
    )
    return dg.AssetCheckResult(
        asset_key=contract.asset_path,
        check_name=check,
        passed=not failing,
        severity=SEVERITY[severity],
        description=description[:4000],
        metadata=metadata,
    )


def build_raw_checks(suite: Suite) -> dg.AssetChecksDefinition:
    """The six quality checks of one raw asset, evaluated together in one step."""
    contract = suite.contract
    specs = [
        dg.AssetCheckSpec(
            name=check,
            asset=contract.asset_path,
            description=CHECK_DESCRIPTIONS[check],
            blocking=check not in NON_BLOCKING,
            metadata={"suite": suite.path.relative_to(suite.path.parents[3]).as_posix()},
        )
        for check in CHECKS
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=f"quality_{contract.system}_{contract.object}",
        description=f"Quality gate of `{contract.table}`: Great Expectations suite "
        f"`{specs[0].metadata['suite']}` on the rows of new files, DuckDB SQL on the whole table.",
        pool=WAREHOUSE_POOL,  # records results and accepted loads in raw_meta
    )
    def _quality(
        context: dg.AssetCheckExecutionContext,
        duckdb: DuckDBResource,
        landing: LandingZone,
        quality: QualityGate,
        reports: ReportsFolder,
    ) -> Iterator[dg.AssetCheckResult]:
        started = time.perf_counter()
        folder = reports.path
        with duckdb.get_connection() as con:
            ensure_raw_tables(con, [contract])
            evaluation = evaluate(
                con, suite, landing_root=landing.path, settings=quality.settings()
            )
            store.record(con, evaluation, context.run.run_id)
            if not evaluation.blocking_failures:
                accept_loads(con, suite, evaluation.loads, context.run.run_id)
            latest = store.latest_results(con)
            last_build_tests = model_tests.latest(con)
        report.write_report(latest, folder, last_build_tests)
        link = report.report_url(folder, contract.table)
        context.log.info(
            f"{contract.table}: {evaluation.rows_validated} rows of {len(evaluation.loads)} new "
            f"file(s) validated in {time.perf_counter() - started:.1f} s; report {link}"
        )
        for check in CHECKS:
            yield check_result(evaluation, check, contract, link)

    return _quality


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    """One quality-check definition per landing contract, in contract order."""
    suites = load_suites()
    return [build_raw_checks(suites[c.table]) for c in CONTRACTS.values()]
