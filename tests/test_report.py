"""The HTML revenue report: SVG chart geometry, escaping, the page rendered in headless Chromium,
and the real asset on the session warehouse with its headline numbers checked against the marts.

Browser: Debian's chromium + chromium-driver driven by Selenium with an explicit
``Service('/usr/bin/chromedriver')``. An explicit driver path keeps Selenium Manager (which
downloads drivers) out of the way, so the test works offline; chromedriver exposes the browser's
console log (JavaScript errors, console.error, failed resource loads) and lets the test query the
rendered DOM, which ``chromium --headless --dump-dom`` alone cannot report. The browser runs with
an unreachable proxy, so any attempt to fetch something from the network fails loudly.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.defs.resources import REPO_ROOT
from dagster_project.lib.files import write_atomically
from dagster_project.lib.html import charts
from dagster_project.lib.html.charts import Series
from dagster_project.lib.html.revenue_report import (
    REPORT_FILE,
    money,
    render_report,
)
from dagster_project.lib.serving.report_data import (
    MARTS,
    ChannelQuality,
    ChannelReturn,
    Headline,
    ReportData,
    SourcingQuality,
    read_report_data,
)

SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM = os.environ.get("RJW_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RJW_CHROMEDRIVER", "/usr/bin/chromedriver")
INSTALL_HINT = (
    "the report's browser test needs Chromium and its driver: "
    "apt-get update && apt-get install -y chromium chromium-driver "
    "(or point RJW_CHROMIUM / RJW_CHROMEDRIVER at them)"
)


def _bars(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)  # also proves the chart is well-formed XML
    return [el for el in root.iter(f"{SVG}rect") if "bar" in el.get("class", "").split()]


# -- charts -------------------------------------------------------------------------------


def test_bar_lengths_are_proportional_to_values():
    svg = charts.bar_chart(["a", "b", "c"], [Series("roas", [1.0, 2.5, 5.0])], title="t", width=600)
    bars = _bars(svg)
    widths = {b.get("data-category"): float(b.get("width")) for b in bars}
    assert widths["c"] / widths["a"] == pytest.approx(5.0, rel=1e-3)
    assert widths["b"] / widths["a"] == pytest.approx(2.5, rel=1e-3)
    # all bars start at the same baseline and the longest fits in the drawing
    assert len({b.get("x") for b in bars}) == 1
    assert float(bars[0].get("x")) + widths["c"] <= 600


def test_grouped_bars_share_one_scale_and_missing_values_draw_no_bar():
    svg = charts.bar_chart(
        ["search", "email"],
        [Series("W-shaped", [4.0, None]), Series("Linear", [2.0, 1.0])],
        title="t",
    )
    bars = {(b.get("data-series"), b.get("data-category")): b for b in _bars(svg)}
    assert ("W-shaped", "email") not in bars
    assert float(bars[("W-shaped", "search")].get("width")) == pytest.approx(
        4 * float(bars[("Linear", "email")].get("width")), rel=1e-3
    )
    assert "n/a" in svg
    assert 'class="legend-item"' in svg


def test_negative_values_extend_left_of_the_zero_line():
    svg = charts.bar_chart(["up", "down"], [Series("s", [3.0, -1.0])], title="t")
    bars = {b.get("data-category"): b for b in _bars(svg)}
    up, down = bars["up"], bars["down"]
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(float(up.get("x")))
    assert float(up.get("width")) == pytest.approx(3 * float(down.get("width")), rel=1e-3)


def test_all_zero_values_do_not_divide_by_zero():
    svg = charts.bar_chart(["a"], [Series("s", [0.0])], title="t")
    assert float(_bars(svg)[0].get("width")) == 0


def test_mismatched_series_is_an_error_naming_the_series():
    with pytest.raises(ValueError, match="'roas' has 1 values for 2 categories"):
        charts.bar_chart(["a", "b"], [Series("roas", [1.0])], title="t")


def test_stacked_segments_are_proportional_and_total_is_labelled():
    svg = charts.stacked_bar_chart(
        ["paid", "email"],
        [Series("no budget", [0.2, 0.1]), Series("wrong fit", [0.2, 0.0])],
        title="t",
        value_format=lambda v: f"{v:.0%}",
    )
    segments = _bars(svg)
    assert len(segments) == 3  # a zero segment draws nothing
    paid = [s for s in segments if s.get("data-category") == "paid"]
    email = [s for s in segments if s.get("data-category") == "email"]
    paid_total = sum(float(s.get("width")) for s in paid)
    assert paid_total == pytest.approx(4 * float(email[0].get("width")), rel=1e-3)
    # the second segment starts where the first ends
    first, second = sorted(paid, key=lambda s: float(s.get("x")))
    assert float(second.get("x")) == pytest.approx(
        float(first.get("x")) + float(first.get("width")), abs=0.02
    )
    assert ">40%</text>" in svg and ">10%</text>" in svg
    with pytest.raises(ValueError, match="negative"):
        charts.stacked_bar_chart(["a"], [Series("s", [-1.0])], title="t")


def test_funnel_bars_are_centred_and_proportional_with_step_conversion():
    svg = charts.funnel_chart([("Leads", 200), ("MQLs", 50), ("Won", 0)], title="t")
    bars = _bars(svg)
    widths = [float(b.get("width")) for b in bars]
    assert widths[1] / widths[0] == pytest.approx(0.25, rel=1e-3)
    assert widths[2] == 0
    centres = {round(float(b.get("x")) + float(b.get("width")) / 2, 1) for b in bars}
    assert len(centres) == 1
    assert "→ 25.0 %" in svg and "→ 0.0 %" in svg


def test_histogram_heights_and_target_marker():
    edges = [0, 1, 2, 4, 24]
    svg = charts.histogram(edges, [10, 5, 0, 20], overflow=4, marker=3, title="t")
    root = ET.fromstring(svg)
    bars = _bars(svg)
    heights = [float(b.get("height")) for b in bars]
    assert heights[3] == pytest.approx(2 * heights[0], rel=1e-3)
    assert heights[4] == pytest.approx(0.4 * heights[0], rel=1e-3)  # overflow bar
    assert [b.get("data-category") for b in bars][-1] == "≥ 24"
    marker = next(el for el in root.iter(f"{SVG}line") if el.get("class") == "marker")
    # 3 h is halfway through the third bin (2-4 h): bins have equal widths
    third = bars[2]
    middle = float(third.get("x")) - 1 + (float(third.get("width")) + 2) / 2
    assert float(marker.get("x1")) == pytest.approx(middle, abs=0.02)
    with pytest.raises(ValueError, match="edges"):
        charts.histogram([0, 1], [1, 2], title="t")


def test_every_text_value_is_escaped():
    nasty = '<script>alert("x")</script> & "quoted"'
    svgs = [
        charts.bar_chart([nasty], [Series(nasty, [1.0])], title=nasty),
        charts.stacked_bar_chart([nasty], [Series(nasty, [1.0])], title=nasty),
        charts.funnel_chart([(nasty, 1)], title=nasty),
        charts.histogram([0, 1], [1], title=nasty, marker=0.5, marker_label=nasty, x_label=nasty),
    ]
    for svg in svgs:
        assert "<script" not in svg
        ET.fromstring(svg)  # still well-formed
        assert "&lt;script&gt;" in svg


# -- page ---------------------------------------------------------------------------------


def _sample_data(**overrides) -> ReportData:
    returns = {
        "w_shaped": [
            ChannelReturn(
                "paid_search",
                1000.0,
                10.0,
                4.0,
                40_000.0,
                1.0,
                9000.0,
                3000.0,
                100.0,
                1000.0,
                40.0,
                9.0,
                3.0,
                1.3,
            ),
            ChannelReturn(
                "email <b>",
                0.0,
                5.0,
                1.0,
                5000.0,
                0.0,
                0.0,
                0.0,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ],
        "linear": [
            ChannelReturn(
                "paid_search",
                1000.0,
                8.0,
                3.0,
                30_000.0,
                0.5,
                4500.0,
                1500.0,
                125.0,
                2000.0,
                30.0,
                4.5,
                1.5,
                2.7,
            ),
        ],
    }
    data = ReportData(
        generated_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        currency="USD",
        headlines=[
            Headline("pipeline", "Pipeline created", 45_000.0, "money"),
            Headline("blended_roas", "Blended ROAS", None, "ratio"),
            Headline("sla_breach_rate", "SLA breach rate", 0.125, "percent"),
            Headline("median_speed_to_lead_hours", "Median speed to lead", 3.25, "hours"),
        ],
        funnel=[("Leads", 100), ("MQLs", 40), ("Won", 3)],
        primary_model="w_shaped",
        comparison_model="linear",
        returns=returns,
        sla_target_hours=24.0,
        sla_edges=[0.0, 1.0, 24.0, 48.0],
        sla_counts=[3, 4, 2],
        sla_overflow=1,
        sla_within=7,
        sla_never_followed_up=2,
        sla_awaiting=1,
        quality=[
            ChannelQuality("paid_search", 60, 12, 0.2, 0.5, 0.2, {"no budget": 8, "<bad>": 4}),
            ChannelQuality("organic", 40, 0, 0.0, 0.4, 0.1, {}),
        ],
        sourcing=[SourcingQuality("paid_search", 4, 0.25, 9000.0, 40.0)],
        leads_from=date(2025, 1, 1),
        leads_to=date(2025, 12, 31),
        spend_from=date(2025, 1, 1),
        spend_to=date(2025, 12, 1),
        as_of=datetime(2025, 12, 31, 12),
        run_id="run-1",
    )
    return ReportData(**{**data.__dict__, **overrides})


def test_page_shows_headlines_charts_and_escapes_names():
    page = render_report(_sample_data())
    assert page.startswith("<!DOCTYPE html>")
    assert '<div class="kpi-value">$45.0k</div>' in page
    assert '<div class="kpi-value">n/a</div>' in page  # ROAS without spend
    assert '<div class="kpi-value">12.5 %</div>' in page
    assert '<div class="kpi-value">3.2 h</div>' in page or "3.3 h" in page
    assert page.count("<svg") == 4
    assert "email &lt;b&gt;" in page and "email <b>" not in page
    assert "&lt;bad&gt;" in page
    assert "Generated 2026-01-02 03:04 UTC" in page
    assert "leads created 2025-01-01 to 2025-12-31" in page
    # self-contained: nothing to fetch, no script
    assert not re.search(r"<script|<link|src=|@import|url\(", page, re.I)


def test_money_is_compact_with_the_currency_symbol():
    assert money(1_234_567, "USD") == "$1.23M"
    assert money(45_600, "EUR") == "€45.6k"
    assert money(980, "GBP") == "£980"
    assert money(-2500, "CHF") == "-CHF 2.5k"
    assert money(None) == "n/a"


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "reports" / REPORT_FILE
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == [REPORT_FILE]


# -- browser ------------------------------------------------------------------------------


def render_in_browser(page: Path) -> dict:
    """Open ``page`` in headless Chromium and return the browser's log, the resources it tried
    to load and facts about the rendered DOM."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(f"Chromium not found at {CHROMIUM} / {CHROMEDRIVER}: {INSTALL_HINT}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,2000",
        # any network request goes to a closed port and fails (and is logged)
        "--proxy-server=http://127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(page.as_uri())
        facts = driver.execute_script(
            """
            const visible = el => { const r = el.getBoundingClientRect();
                                    return r.width > 0 && r.height > 0; };
            return {
              ready: document.readyState,
              title: document.title,
              svgs: [...document.querySelectorAll('svg.chart')].filter(visible).length,
              bars: [...document.querySelectorAll('svg.chart rect.bar')]
                      .filter(visible).length,
              charts: Object.fromEntries([...document.querySelectorAll('section[id]')]
                .map(s => [s.id, s.querySelectorAll('svg rect.bar').length])),
              kpis: Object.fromEntries([...document.querySelectorAll('.kpi')].map(k =>
                [k.dataset.key, k.querySelector('.kpi-value').textContent])),
              resources: performance.getEntriesByType('resource').map(e => e.name),
              scripts: document.scripts.length,
            };
            """
        )
        facts["log"] = driver.get_log("browser")
    finally:
        driver.quit()
    return facts


def test_browser_check_catches_errors_and_network_requests(tmp_path):
    """The browser check is not blind: a page with a script error, a console error, a missing
    local file and a network image fails it."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body>'
        '<img src="https://example.com/x.png"><img src="missing.png">'
        '<script>console.error("boom"); notDefined();</script></body></html>'
    )
    facts = render_in_browser(bad)
    messages = " ".join(entry["message"] for entry in facts["log"])
    assert "Failed to load resource" in messages
    assert "missing.png" in messages
    assert "boom" in messages
    assert "notDefined is not defined" in messages
    assert "https://example.com/x.png" in facts["resources"]


def _assert_renders_cleanly(facts: dict) -> None:
    problems = [e for e in facts["log"] if e["level"] in {"SEVERE", "WARNING"}]
    assert not problems, f"browser reported: {problems}"
    assert facts["ready"] == "complete"
    assert facts["resources"] == [], f"page fetched {facts['resources']}"
    assert facts["scripts"] == 0


def test_sample_page_renders_in_headless_chromium(tmp_path):
    page = tmp_path / REPORT_FILE
    write_atomically(page, render_report(_sample_data()))
    facts = render_in_browser(page)
    _assert_renders_cleanly(facts)
    assert facts["svgs"] == 4
    assert facts["kpis"]["pipeline"] == "$45.0k"
    assert all(facts["charts"][s] > 0 for s in ("funnel", "roi", "sla", "quality"))


# -- the asset on the session warehouse ---------------------------------------------------


@pytest.fixture(scope="module")
def report(loaded) -> dict:
    """The report the session run wrote, its materialisation and the warehouse it read."""
    event = next(
        e
        for e in loaded["result"].get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["reports", "revenue_report"])
    )
    metadata = event.materialization.metadata
    path = Path(metadata["report_path"].value)
    return {"path": path, "metadata": metadata, "warehouse": loaded["warehouse"]}


def test_report_is_written_and_linked_from_the_metadata(report, loaded):
    path = report["path"]
    assert path.name == REPORT_FILE
    assert path.parent == loaded["reports"]
    assert path.stat().st_size > 10_000
    assert report["metadata"]["report"].value == path.as_uri()
    assert "Pipeline created" in report["metadata"]["headlines"].value


def _default_model() -> str:
    project = yaml.safe_load((REPO_ROOT / "dbt" / "dbt_project.yml").read_text())
    return project["vars"]["return_attribution_model"]


NO_MARKETING_TOUCH = "('(no marketing touch)', '(no touch)')"


def test_headline_numbers_equal_the_marts(report):
    """Every headline, recomputed here from the marts closest to the source (spend from the
    spend mart, bookings from the opportunities, billing from the customers, speed to lead
    from the per-lead hand-offs, marketing return from the credits without the bucket of
    deals no marketing touch reached)."""
    model = _default_model()
    with duckdb.connect(str(report["warehouse"]), read_only=True) as con:
        pipeline, sourced, sales_deals = con.execute(
            "select sum(amount_reporting), "
            "sum(amount_reporting) filter (where sourced_by = 'marketing'), "
            "count(*) filter (where sourced_by = 'sales') from marts.opportunity_journeys"
        ).fetchone()
        spend = con.execute(
            "select sum(spend_amount_reporting) from marts.marketing_spend"
        ).fetchone()[0]
        bookings = con.execute(
            "select sum(amount_reporting) from marts.opportunities where is_won"
        ).fetchone()[0]
        marketing_bookings, untouched_bookings = con.execute(
            f"select sum(credited_amount) filter (where channel not in {NO_MARKETING_TOUCH}), "
            f"sum(credited_amount) filter (where channel in {NO_MARKETING_TOUCH}) "
            "from marts.attribution_credits "
            "where conversion_type = 'bookings' and attribution_model = ?",
            [model],
        ).fetchone()
        marketing_won = con.execute(
            f"select sum(credit_fraction) filter (where channel not in {NO_MARKETING_TOUCH}) "
            "from marts.attribution_credits "
            "where conversion_type = 'bookings' and attribution_model = ?",
            [model],
        ).fetchone()[0]
        billed = con.execute(
            "select sum(credited_amount) from marts.attribution_by_channel "
            "where conversion_type = 'billed_revenue' and attribution_model = ?",
            [model],
        ).fetchone()[0]
        total_billed, unmatched = con.execute(
            "select sum(billed_amount), sum(billed_amount) filter (where account_id is null) "
            "from marts.customer_revenue"
        ).fetchone()
        leads, mqls, sqls = con.execute(
            "select count(*), count(*) filter (where has_reached_mql), "
            "count(*) filter (where has_reached_sql) from marts.funnel_leads"
        ).fetchone()
        median_hours, breached, decided = con.execute(
            "select median(hours_to_first_activity), count(*) filter (where is_sla_breached), "
            "count(*) filter (where not is_awaiting_follow_up) from marts.lead_handoffs"
        ).fetchone()
    expected = {
        "pipeline": float(pipeline),
        "marketing_sourced_share": float(sourced) / float(pipeline),
        "sales_sourced_deals": sales_deals,
        "bookings": float(bookings),
        "total_billed": float(total_billed),
        "billed_revenue": float(billed),
        "unmatched_billed": float(unmatched),
        "spend": float(spend),
        "blended_roas": float(marketing_bookings) / float(spend),
        "blended_cac": float(spend) / marketing_won,
        "no_marketing_touch_bookings": float(untouched_bookings),
        "mql_to_sql_rate": sqls / mqls,
        "median_speed_to_lead_hours": median_hours,
        "sla_breach_rate": breached / decided,
    }
    assert pipeline > 0 and bookings > 0 and billed > 0 and spend > 0 and mqls > 0
    assert sales_deals > 0 and untouched_bookings > 0 and unmatched > 0
    # billed revenue attributed to deals is part of billing, never more
    assert billed < total_billed
    metadata = report["metadata"]
    for key, value in expected.items():
        assert metadata[key].value == pytest.approx(value, rel=1e-9), key
    # the page shows the same numbers the metadata carries
    page = report["path"].read_text()
    for key, value in expected.items():
        shown = re.search(rf'data-key="{key}" data-value="([^"]+)"', page).group(1)
        assert float(shown) == pytest.approx(value, rel=1e-9), key
    funnel = re.search(r'data-category="Leads" data-value="(\d+)', page).group(1)
    assert int(funnel) == leads


def test_coverage_section_shows_every_blind_spot_from_the_mart(report):
    """The "What the data can see" section lists every measure of marts.attribution_coverage
    with its share, and the anonymous-touch share equals a count of the touchpoints."""
    page = report["path"].read_text()
    shown = dict(re.findall(r'data-measure="([a-z_]+)" data-share="([^"]*)"', page))
    with duckdb.connect(str(report["warehouse"]), read_only=True) as con:
        measures = dict(
            con.execute("select measure, share from marts.attribution_coverage").fetchall()
        )
        anonymous = con.execute(
            "select count(*) filter (where person_key is null) / count(*) "
            "from marts.touchpoints where not is_follow_up_of_ad_click"
        ).fetchone()[0]
    assert set(shown) == set(measures) and len(measures) == 6
    assert float(shown["anonymous_touches"]) == pytest.approx(anonymous, rel=1e-9)
    assert 0 < anonymous < 1
    assert "What the data can see" in page


def test_speed_to_lead_bins_count_every_followed_up_lead_once(report):
    page = report["path"].read_text()
    bins = {
        name: int(n)
        for name, n in re.findall(
            r'class="bar bin" data-category="([^"]+)" data-value="(\d+)"', page
        )
    }
    with duckdb.connect(str(report["warehouse"]), read_only=True) as con:
        followed, early, within_day = con.execute(
            "select count(hours_to_first_activity), "
            "count(*) filter (where hours_to_first_activity < 1), "
            "count(*) filter (where hours_to_first_activity < 24) from marts.lead_handoffs"
        ).fetchone()
    assert sum(bins.values()) == followed > 0
    assert bins["0–1"] == early  # never-followed-up leads are not in the first bin
    assert (
        sum(n for name, n in bins.items() if name in {"0–1", "1–2", "2–4", "4–8", "8–12", "12–24"})
        == within_day
    )


def test_report_renders_in_headless_chromium(report):
    facts = render_in_browser(report["path"])
    _assert_renders_cleanly(facts)
    assert facts["title"] == "Revenue journey report"
    assert facts["svgs"] == 4 and facts["bars"] > 20
    for section in ("funnel", "roi", "sla", "quality"):
        assert facts["charts"][section] > 0, f"{section} chart has no bars"
    assert set(facts["kpis"]) == {
        "pipeline",
        "marketing_sourced_share",
        "sales_sourced_deals",
        "bookings",
        "total_billed",
        "billed_revenue",
        "unmatched_billed",
        "spend",
        "blended_roas",
        "blended_cac",
        "no_marketing_touch_bookings",
        "mql_to_sql_rate",
        "median_speed_to_lead_hours",
        "sla_breach_rate",
    }
    assert all(v != "n/a" for v in facts["kpis"].values()), facts["kpis"]


def test_asset_depends_on_the_marts_it_reads_and_runs_in_the_build_job():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(["reports", "revenue_report"])
    node = graph.get(key)
    assert {dg.AssetKey(m) for m in MARTS} <= set(node.parent_keys)
    assert all(graph.has(dg.AssetKey(m)) for m in MARTS)
    assert node.group_name == "reports"
    job = defs.resolve_job_def("warehouse_build")
    assert key in job.asset_layer.selected_asset_keys


def test_unknown_comparison_model_is_a_clear_error(report):
    with (
        duckdb.connect(str(report["warehouse"]), read_only=True) as con,
        pytest.raises(ValueError, match="comparison model 'nope' is not in"),
    ):
        read_report_data(con, comparison_model="nope")


def test_a_long_legend_wraps_inside_the_chart():
    names = [f"reason number {i}" for i in range(8)]
    svg = charts.stacked_bar_chart(["a"], [Series(n, [1.0]) for n in names], title="t", width=400)
    root = ET.fromstring(svg)
    items = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    assert len(items) == 8
    swatches = [g.find(f"{SVG}rect") for g in items]
    assert len({s.get("y") for s in swatches}) > 1  # more than one row
    assert all(float(s.get("x")) < 400 for s in swatches)
    # the bars start below the legend
    top_bar = min(float(b.get("y")) for b in _bars(svg))
    assert top_bar > max(float(s.get("y")) for s in swatches) + 10


def test_empty_marts_give_a_report_of_zeros_not_an_error(report, tmp_path):
    """Before any data lands the marts are empty: the report still renders, cleanly."""
    warehouse = tmp_path / "empty.duckdb"
    shutil.copy(report["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for mart in MARTS:
            con.execute(f"delete from marts.{mart}")
        data = read_report_data(con)
    assert data.funnel[0] == ("Leads", 0)
    assert data.sla_target_hours is None
    page = tmp_path / REPORT_FILE
    write_atomically(page, render_report(data))
    text = page.read_text()
    assert "No marketing spend recorded yet." in text and "No leads yet." in text
    facts = render_in_browser(page)
    _assert_renders_cleanly(facts)
    assert facts["kpis"]["pipeline"] == "n/a"


def test_loop_section_shows_surges_the_call_list_recycling_and_the_last_push(report):
    page = report["path"].read_text()
    loop = page[page.index('<section id="loop">') :]
    summary = re.search(r'id="loop-summary">(.*?)</p>', loop, re.S)[1]
    summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", summary))
    with duckdb.connect(str(report["warehouse"]), read_only=True) as con:
        surging, on_it = con.execute(
            "select count(*) filter (where is_surging), "
            "count(*) filter (where is_surging and is_sales_on_it) "
            "from marts.account_engagement where is_current_week"
        ).fetchone()
        calls = con.execute("select account_name from marts.accounts_to_call").fetchall()
        recycled = con.execute("select count(*) from marts.nurture_leads").fetchone()[0]
        pending = con.execute(
            "select rows_pending from writeback.push_runs where target = 'salesforce' "
            "and object = 'Account' order by finished_at desc limit 1"
        ).fetchone()[0]
    assert f" {surging} surging accounts, sales on {on_it} of them" in summary
    assert f" {len(calls)} to call today" in summary
    for (name,) in calls[:25]:
        assert f"<td>{html.escape(name)}</td>" in loop
    assert f"Recycled to marketing: {recycled:,} leads" in loop and recycled > 0
    # the last push (a dry-run in the session night): Account with its records to send
    assert re.search(
        rf"<td>salesforce</td><td>Account</td><td>dry-run</td><td>{pending:,}</td>", loop
    )


def test_loop_section_lists_why_records_of_the_last_push_were_refused(report, tmp_path):
    warehouse = tmp_path / "pushed.duckdb"
    shutil.copy(report["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        # a later, live push: 2 leads refused (a lock) and 1 unprocessed
        con.execute(
            "insert into writeback.push_runs values ('99991231T000000Z-live', 'salesforce', "
            "'Lead', 'live', now()::timestamp, now()::timestamp, 10, 10, 7, 2, 1, 0, 6, '[]', "
            "null)"
        )
        con.execute(
            "insert into writeback.push_failures values "
            "('99991231T000000Z-live', 'salesforce', 'Lead', '00Q1', "
            "'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--', now()), "
            "('99991231T000000Z-live', 'salesforce', 'Lead', '00Q2', "
            "'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--', now()), "
            "('99991231T000000Z-live', 'salesforce', 'Lead', '00Q3', "
            "'unprocessed: job 750X Failed: InternalServerError', now()), "
            # an older push's refusal is not the last push's
            "('00000101T000000Z-old', 'salesforce', 'Lead', '00Q4', 'STRING_TOO_LONG:x', now())"
        )
        data = read_report_data(con)
    page = render_report(data)
    loop = page[page.index('<section id="loop">') :]
    assert "Refused or unprocessed in the last push: 3 (sent again next night)" in loop
    assert "<td>salesforce</td><td>Lead</td><td>UNABLE_TO_LOCK_ROW</td><td>2</td>" in loop
    assert "<td>unprocessed</td><td>1</td>" in loop
    assert "STRING_TOO_LONG" not in loop
