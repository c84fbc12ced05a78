"""The revenue report as an asset: read the marts, render the page, write it atomically (the
rendering is ``lib/html/revenue_report.py``)."""

import time
from dataclasses import replace

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import WAREHOUSE_POOL, ReportsFolder
from dagster_project.defs.serving.writeback import CONVERSIONS_KEY, CRM_KEY
from dagster_project.lib.files import write_atomically
from dagster_project.lib.html.revenue_report import REPORT_FILE, display, render_report
from dagster_project.lib.serving.report_data import MARTS, read_report_data


class RevenueReportConfig(dg.Config):
    """Which attribution model the report shows beside the default one."""

    comparison_model: str = "linear"


@dg.asset(
    key=["reports", "revenue_report"],
    pool=WAREHOUSE_POOL,
    # (after the write-back: the report shows what last night pushed)
    deps=[*(dg.AssetKey(m) for m in MARTS), CRM_KEY, CONVERSIONS_KEY],
    group_name="reports",
    kinds={"html"},
    description="A self-contained HTML page (no network needed to view it) with the headline "
    "numbers, the lifecycle funnel, channel return under two attribution models, the "
    f"speed-to-lead distribution and lead quality by channel: `<reports dir>/{REPORT_FILE}`.",
)
def revenue_report(
    context: dg.AssetExecutionContext,
    config: RevenueReportConfig,
    duckdb: DuckDBResource,
    reports: ReportsFolder,
) -> dg.MaterializeResult:
    started = time.perf_counter()
    with duckdb.get_connection() as con:
        data = read_report_data(con, comparison_model=config.comparison_model)
    data = replace(data, run_id=context.run_id)
    page = render_report(data)
    path = reports.path / REPORT_FILE
    write_atomically(path, page)
    summary = "\n".join(
        ["| figure | value |", "| --- | --- |"]
        + [f"| {h.label} | {display(h, data.currency)} |" for h in data.headlines]
    )
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.url(path.as_uri()),
            "report_path": dg.MetadataValue.path(str(path)),
            "headlines": dg.MetadataValue.md(summary),
            **{
                h.key: dg.MetadataValue.float(h.value)
                for h in data.headlines
                if h.value is not None
            },
            "attribution_models": f"{data.primary_model} vs {data.comparison_model}",
            "reporting_currency": data.currency,
            "size_bytes": len(page.encode("utf-8")),
            "seconds": round(time.perf_counter() - started, 3),
        }
    )
