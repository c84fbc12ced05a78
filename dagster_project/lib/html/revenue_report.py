"""The revenue report: one self-contained HTML page written after every run.

Marketing and sales read the same numbers from the performance marts: the headline figures,
the lifecycle funnel, spend and return per channel under two attribution models, the speed-to-lead
distribution against the SLA target and lead quality by channel. The page has no script, font or
image to fetch (charts are inline SVG from :mod:`.charts`), so it opens from a file share, a mail
attachment or the Dagster UI link with no network.

:func:`.report_data.read_report_data` reads the marts into plain values (:class:`ReportData`);
:func:`render_report` turns them into HTML (pure, no I/O); :func:`write_atomically` publishes
the file; the asset wires the three together.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime

from dagster_project.lib.html import charts
from dagster_project.lib.html.charts import Series, esc
from dagster_project.lib.serving.report_data import (
    Headline,
    ReportData,
    safe_ratio,
)

REPORT_FILE = "revenue_report.html"
MAX_CHANNELS = 12  # rows in the per-channel charts; the rest are in the tables below them
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
# one line per attribution model for the "how to read" text (weights are dbt vars)
MODEL_NOTES = {
    "first_touch": "all credit to the first touch",
    "last_touch": "all credit to the last touch before the conversion",
    "last_non_direct": "all credit to the last touch that was not direct",
    "linear": "equal credit to every touch",
    "time_decay": "more credit to touches close to the conversion",
    "u_shaped": "most credit to the first and the lead-creating touch",
    "w_shaped": "most credit to the first, the lead-creating and the opportunity-creating touch",
    "full_path": "most credit to the first, lead-creating, opportunity-creating and closing touch",
    "markov": "credit by how much conversions drop when the channel is removed",
    "shapley": "credit by each channel's average marginal contribution",
}


# -- formatting ---------------------------------------------------------------------------


def money(value: float | None, currency: str = "USD") -> str:
    """Compact money: $1.23M, $456.7k, $980; "n/a" for a missing value."""
    if value is None:
        return "n/a"
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    sign = "-" if value < 0 else ""
    amount = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= limit:
            return f"{sign}{symbol}{amount / limit:,.{2 if limit > 1e3 else 1}f}{suffix}"
    return f"{sign}{symbol}{amount:,.0f}"


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}×"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} h"


def display(headline: Headline, currency: str) -> str:
    """The headline's value as shown on the page."""
    return {"money": lambda v: money(v, currency), "percent": percent, "ratio": ratio}.get(
        headline.kind, hours
    )(headline.value)


def model_name(model: str) -> str:
    """w_shaped -> W-shaped, last_touch -> Last touch."""
    names = {"w_shaped": "W-shaped", "u_shaped": "U-shaped", "markov": "Markov"}
    return names.get(model, model.replace("_", " ").capitalize())


# -- rendering ----------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --line: #dadce0; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 1080px; padding: 24px; line-height: 1.45; background: #fff; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 36px 0 4px; border-top: 1px solid var(--line);
  padding-top: 20px; }
.meta, .how, .note { color: var(--muted); font-size: 0.9rem; margin: 2px 0 10px; }
.how::before { content: "How to read: "; font-weight: 600; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px;
  margin: 20px 0; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.kpi-label { font-size: 0.85rem; color: var(--muted); }
.kpi-value { font-size: 1.5rem; font-weight: 650; margin: 2px 0; }
.kpi-note { font-size: 0.78rem; color: var(--muted); }
svg.chart { max-width: 100%; height: auto; display: block; margin: 8px 0; }
details { margin: 6px 0 0; }
summary { cursor: pointer; color: var(--muted); font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.8rem; }
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], summary: str) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"<details><summary>{esc(summary)}</summary><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table></details>"
    )


def _section(section_id: str, title: str, how: str, *parts: str) -> str:
    return (
        f'<section id="{esc(section_id)}"><h2>{esc(title)}</h2>'
        f'<p class="how">{esc(how)}</p>' + "".join(parts) + "</section>"
    )


def _day(value: date | datetime | None) -> str:
    return "n/a" if value is None else value.strftime("%Y-%m-%d")


def _month(value: date | None) -> str:
    return "n/a" if value is None else value.strftime("%Y-%m")


def _headlines_html(data: ReportData) -> str:
    cards = "".join(
        f'<div class="kpi" data-key="{esc(h.key)}" data-value="{esc(repr(h.value))}">'
        f'<div class="kpi-label">{esc(h.label)}</div>'
        f'<div class="kpi-value">{esc(display(h, data.currency))}</div>'
        f'<div class="kpi-note">{esc(h.note)}</div></div>'
        for h in data.headlines
    )
    return f'<section id="headlines" class="kpis">{cards}</section>'


def _funnel_html(data: ReportData) -> str:
    chart = charts.funnel_chart(data.funnel, title="Lifecycle funnel: leads reaching each stage")
    rows = [
        [
            name,
            f"{count:,}",
            percent(safe_ratio(count, data.funnel[i - 1][1])) if i else "",
            percent(safe_ratio(count, data.funnel[0][1])),
        ]
        for i, (name, count) in enumerate(data.funnel)
    ]
    return _section(
        "funnel",
        "Lifecycle funnel",
        "each bar is the number of people who reached that stage (duplicate leads of one person "
        "count once); the percentage is the conversion from the stage above. A stage reached "
        "by skipping an earlier one counts in the earlier one too.",
        chart,
        _table(["stage", "people", "from stage above", "from leads"], rows, "Funnel numbers"),
    )


def _roi_html(data: ReportData) -> str:
    primary, other = data.primary_model, data.comparison_model
    by_channel = {r.channel: r for r in data.returns[primary]}
    other_by_channel = {r.channel: r for r in data.returns[other]}
    spent = [r.channel for r in data.returns[primary] if r.spend > 0][:MAX_CHANNELS]
    chart = '<p class="note">No marketing spend recorded yet.</p>'
    if spent:
        chart = charts.bar_chart(
            spent,
            [
                Series(model_name(primary), [by_channel[c].roas_bookings for c in spent]),
                Series(
                    model_name(other),
                    [
                        other_by_channel[c].roas_bookings if c in other_by_channel else None
                        for c in spent
                    ],
                ),
            ],
            title=f"Return on ad spend (bookings) per channel: {model_name(primary)} and "
            f"{model_name(other)} attribution",
            value_format=ratio,
        )
    cur = data.currency
    rows = [
        [
            r.channel,
            money(r.spend, cur),
            "n/a" if r.leads is None else f"{r.leads:,.1f}",
            money(r.pipeline, cur),
            money(r.bookings, cur),
            money(r.billed_revenue, cur),
            money(r.cost_per_lead, cur),
            money(r.cac, cur),
            ratio(r.roas_bookings),
            ratio(other_by_channel[r.channel].roas_bookings)
            if r.channel in other_by_channel
            else "n/a",
            ratio(r.roas_billed_revenue),
            "n/a" if r.payback_months is None else f"{r.payback_months:,.1f}",
        ]
        for r in data.returns[primary]
    ]
    return _section(
        "roi",
        "Channel return on spend",
        f"bars are bookings credited to a channel divided by its spend (2.0× = 2 {cur} "
        f"booked per 1 {cur} spent), under the default {model_name(primary)} model ("
        f"{MODEL_NOTES.get(primary, 'see the attribution marts')}) and under "
        f"{model_name(other)} ({MODEL_NOTES.get(other, 'see the attribution marts')}) for "
        f"comparison. Where the two disagree, the channel's "
        f"credit depends on which touches you value. Channels without spend are in the table.",
        chart,
        _table(
            [
                "channel",
                "spend",
                "leads",
                "pipeline",
                "bookings",
                "billed revenue",
                "cost per lead",
                "CAC",
                f"ROAS bookings ({model_name(primary)})",
                f"ROAS bookings ({model_name(other)})",
                "ROAS billed revenue",
                "payback months",
            ],
            rows,
            f"Spend and return per channel ({model_name(primary)})",
        ),
    )


def _sla_html(data: ReportData) -> str:
    target = data.sla_target_hours
    followed = sum(data.sla_counts) + data.sla_overflow
    if target is None:
        return _section(
            "sla",
            "Speed to lead",
            "hours from MQL to the first sales activity, against the SLA target.",
            '<p class="note">No lead has become an MQL yet.</p>',
        )
    chart = charts.histogram(
        data.sla_edges,
        data.sla_counts,
        overflow=data.sla_overflow,
        marker=target,
        marker_label=f"SLA target {target:g} h",
        title="Speed to lead: hours from MQL to the first sales activity",
        x_label="hours from MQL to the first sales activity (bins widen to the right)",
    )
    rows = [
        [f"{lo:g}–{hi:g} h", f"{c:,}"]
        for lo, hi, c in zip(data.sla_edges, data.sla_edges[1:], data.sla_counts, strict=False)
    ]
    rows.append([f"≥ {data.sla_edges[-1]:g} h", f"{data.sla_overflow:,}"])
    return _section(
        "sla",
        "Speed to lead",
        f"each bar counts MQLs whose first sales call, email or meeting came within that many "
        f"hours; bars left of the dashed line met the {target:g}-hour target. MQLs never "
        f"followed up are not in the bars but count as breaches.",
        chart,
        f'<p class="note">{followed:,} MQLs followed up ({data.sla_within:,} within the '
        f"target), {data.sla_never_followed_up:,} never followed up, {data.sla_awaiting:,} "
        f"still inside their target window.</p>",
        _table(["hours", "MQLs"], rows, "Distribution numbers"),
    )


def _quality_html(data: ReportData) -> str:
    shown = data.quality[:MAX_CHANNELS]
    totals: dict[str, int] = {}
    for q in data.quality:
        for reason, n in q.reasons.items():
            totals[reason] = totals.get(reason, 0) + n
    reasons = sorted(totals, key=lambda r: (-totals[r], r))
    chart = '<p class="note">No leads yet.</p>'
    if shown:
        chart = charts.stacked_bar_chart(
            [f"{q.channel} ({q.leads:,})" for q in shown],
            [
                Series(
                    reason, [safe_ratio(q.reasons.get(reason, 0), q.leads) or 0.0 for q in shown]
                )
                for reason in reasons
            ],
            title="Lead quality: share of each channel's leads disqualified, by reason",
            value_format=percent,
        )
    rows = [
        [
            q.channel,
            f"{q.leads:,}",
            percent(q.mql_rate),
            percent(q.sql_rate),
            percent(q.disqualification_rate),
            max(q.reasons, key=lambda r: (q.reasons[r], r)) if q.reasons else "",
        ]
        for q in data.quality
    ]
    cur = data.currency
    sourcing_rows = [
        [
            s.channel,
            f"{s.opportunities:,}",
            percent(s.win_rate),
            money(s.avg_deal_size, cur),
            "n/a" if s.median_sales_cycle_days is None else f"{s.median_sales_cycle_days:,.0f}",
        ]
        for s in data.sourcing
    ]
    return _section(
        "quality",
        "Lead quality by channel",
        "each bar is the share of a channel's leads (count in brackets; channel of the lead's "
        "first touch) that sales disqualified before SQL, split by the reason given; a long bar "
        "means many leads sales rejected. The tables add MQL and SQL rates, and the win rate, "
        "deal size and sales cycle of the opportunities each channel sourced.",
        chart,
        _table(
            ["channel", "leads", "MQL rate", "SQL rate", "disqualified", "top reason"],
            rows,
            "Lead quality per channel",
        ),
        _table(
            ["sourcing channel", "opportunities", "win rate", "avg won deal", "median cycle days"],
            sourcing_rows,
            "Opportunity quality per sourcing channel",
        ),
    )


def render_report(data: ReportData) -> str:
    """The whole page as one HTML string: inline CSS and SVG, no script, nothing to fetch."""
    generated = data.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = (
        f"Generated {generated} · leads created {_day(data.leads_from)} to "
        f"{_day(data.leads_to)} · spend {_month(data.spend_from)} to {_month(data.spend_to)} · "
        f"data as of {_day(data.as_of)} · amounts in {data.currency}"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # nothing may be fetched: no scripts, styles, fonts or images from anywhere
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        "<title>Revenue journey report</title>"
        f"<style>{CSS}</style></head><body>"
        f'<header><h1>Revenue journey report</h1><p class="meta" id="report-meta">{esc(meta)}'
        "</p></header>"
        + _headlines_html(data)
        + _funnel_html(data)
        + _roi_html(data)
        + _sla_html(data)
        + _quality_html(data)
        + "<footer>Read from the performance marts (marts.funnel_conversion, "
        "marts.marketing_return_by_channel, marts.lead_handoffs, marts.lead_handoff_sla, "
        "marts.lead_quality, marts.opportunity_quality, marts.pipeline_sourcing, "
        "marts.marketing_spend)"
        + (f" · Dagster run {esc(data.run_id)}" if data.run_id else "")
        + ".</footer></body></html>\n"
    )
