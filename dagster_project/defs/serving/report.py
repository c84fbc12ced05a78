"""The revenue report: one self-contained HTML page written after every run.

Marketing and sales read the same numbers from the performance marts: the headline figures,
the lifecycle funnel, spend and return per channel under two attribution models, the speed-to-lead
distribution against the SLA target and lead quality by channel. The page has no script, font or
image to fetch (charts are inline SVG from :mod:`.charts`), so it opens from a file share, a mail
attachment or the Dagster UI link with no network.

Layout of this module: :func:`read_report_data` runs read-only queries against the marts and
returns plain values (:class:`ReportData`); :func:`render_report` turns them into HTML (pure, no
I/O); :func:`write_atomically` publishes the file; the asset wires the three together.
"""

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.resources import reports_path
from dagster_project.defs.serving import charts
from dagster_project.defs.serving.charts import Series, esc

REPORT_FILE = "revenue_report.html"
# the dbt marts the report reads (asset keys are the dbt model names)
MARTS = (
    "funnel_conversion",
    "lead_handoffs",
    "lead_handoff_sla",
    "lead_quality",
    "opportunity_quality",
    "pipeline_sourcing",
    "marketing_spend",
    "marketing_return_by_channel",
)
# hours from MQL to first sales activity: bin edges of the speed-to-lead histogram (the SLA
# target is added as an edge); uneven on purpose, most follow-ups happen in the first hours
SLA_EDGES = (0.0, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0, 72.0, 120.0, 168.0)
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


# -- data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """One headline figure: a stable key (also the metadata key), a label, the raw value and
    how it is shown ("money", "percent", "ratio", "hours")."""

    key: str
    label: str
    value: float | None
    kind: str
    note: str = ""


@dataclass(frozen=True)
class ChannelReturn:
    """Spend and return of one channel under one attribution model."""

    channel: str
    spend: float
    leads: float | None
    opportunities: float
    pipeline: float
    won_deals: float
    bookings: float
    billed_revenue: float
    cost_per_lead: float | None
    cac: float | None
    roas_pipeline: float | None
    roas_bookings: float | None
    roas_billed_revenue: float | None
    payback_months: float | None


@dataclass(frozen=True)
class ChannelQuality:
    """Lead quality of one first-touch channel: leads, disqualified share and its reasons."""

    channel: str
    leads: int
    disqualified: int
    disqualification_rate: float | None
    mql_rate: float | None
    sql_rate: float | None
    reasons: dict[str, int]  # disqualification reason -> leads


@dataclass(frozen=True)
class SourcingQuality:
    """Opportunity quality of one sourcing channel (opportunity_quality)."""

    channel: str
    opportunities: int
    win_rate: float | None
    avg_deal_size: float | None
    median_sales_cycle_days: float | None


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows, as plain values read from the marts."""

    generated_at: datetime
    currency: str
    headlines: list[Headline]
    funnel: list[tuple[str, int]]
    primary_model: str
    comparison_model: str
    returns: dict[str, list[ChannelReturn]]  # attribution model -> channels
    sla_target_hours: float | None  # None when no lead became an MQL
    sla_edges: list[float]
    sla_counts: list[int]
    sla_overflow: int
    sla_within: int
    sla_never_followed_up: int
    sla_awaiting: int
    quality: list[ChannelQuality]
    sourcing: list[SourcingQuality]
    leads_from: date | None
    leads_to: date | None
    spend_from: date | None
    spend_to: date | None
    as_of: datetime | None
    run_id: str = ""


def _f(value: Any) -> float | None:
    """A number from the database as float (DECIMAL comes back as Decimal); None stays None."""
    return None if value is None else float(value)


def _one(con, sql: str, params: Sequence[Any] = ()) -> tuple:
    return con.execute(sql, list(params)).fetchone()


def _returns(con, model: str) -> list[ChannelReturn]:
    rows = con.execute(
        """
        select channel, spend_amount, leads, opportunities, pipeline_amount, won_deals,
            bookings_amount, billed_revenue_amount, cost_per_lead, cac, roas_pipeline,
            roas_bookings, roas_billed_revenue, payback_months
        from marts.marketing_return_by_channel
        where attribution_model = ?
        order by spend_amount desc, bookings_amount desc, channel
        """,
        [model],
    ).fetchall()
    return [
        ChannelReturn(
            channel=r[0],
            spend=_f(r[1]) or 0.0,
            leads=_f(r[2]),
            opportunities=_f(r[3]) or 0.0,
            pipeline=_f(r[4]) or 0.0,
            won_deals=_f(r[5]) or 0.0,
            bookings=_f(r[6]) or 0.0,
            billed_revenue=_f(r[7]) or 0.0,
            cost_per_lead=_f(r[8]),
            cac=_f(r[9]),
            roas_pipeline=_f(r[10]),
            roas_bookings=_f(r[11]),
            roas_billed_revenue=_f(r[12]),
            payback_months=_f(r[13]),
        )
        for r in rows
    ]


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def read_report_data(
    con, *, comparison_model: str = "linear", generated_at: datetime | None = None
) -> ReportData:
    """Read the report's figures from the performance marts, in one read-only transaction (a
    consistent snapshot; a write would fail).

    The primary attribution model is the one the marts flag as default (dbt var
    ``return_attribution_model``); ``comparison_model`` is shown beside it. Empty marts (no
    data loaded yet) give a report of zeros and "n/a", not an error."""
    con.execute("begin transaction read only")
    try:
        return _read(con, comparison_model, generated_at or datetime.now(UTC))
    finally:
        con.execute("rollback")


def _read(con, comparison_model: str, generated_at: datetime) -> ReportData:
    models = dict(
        con.execute(
            "select attribution_model, bool_or(is_default_model) "
            "from marts.marketing_return_by_channel group by 1 order by 1"
        ).fetchall()
    )
    default = [m for m, is_default in models.items() if is_default]
    if models and len(default) != 1:
        raise ValueError(
            "marts.marketing_return_by_channel must flag exactly one default attribution model "
            f"(is_default_model), found {default}"
        )
    primary = default[0] if default else ""
    if models and comparison_model not in models:
        raise ValueError(
            f"comparison model {comparison_model!r} is not in "
            f"marts.marketing_return_by_channel (models: {', '.join(models)})"
        )
    returns = {primary: _returns(con, primary)}
    returns[comparison_model] = _returns(con, comparison_model)
    currency = _one(
        con,
        "select coalesce(min(reporting_currency), 'USD') from marts.marketing_return_by_channel",
    )[0]

    # summed in the database, in decimals, so the totals are exact to the cent
    spend, bookings, billed = (
        _f(v)
        for v in _one(
            con,
            "select sum(spend_amount), sum(bookings_amount), sum(billed_revenue_amount) "
            "from marts.marketing_return_by_channel where attribution_model = ?",
            [primary],
        )
    )
    pipeline, sourced = (
        _f(v)
        for v in _one(
            con,
            "select sum(pipeline_amount), sum(marketing_sourced_amount) "
            "from marts.pipeline_sourcing",
        )
    )
    # the 'overall' rows are missing only when there are no leads / MQLs at all
    funnel_row = _one(
        con,
        """
        select leads, mqls, sals, sqls, opportunities, won, first_payments,
            cast(first_lead_created_at as date), cast(last_lead_created_at as date)
        from marts.funnel_conversion
        where dimension_type = 'overall'
        """,
    ) or (0, 0, 0, 0, 0, 0, 0, None, None)
    sla_row = _one(
        con,
        """
        select sla_target_hours, median_hours_to_first_activity, breach_rate,
            never_followed_up, awaiting_follow_up, followed_up_within_sla
        from marts.lead_handoff_sla
        where dimension_type = 'overall'
        """,
    ) or (None, None, None, 0, 0, 0)
    target = _f(sla_row[0])
    headlines = [
        Headline(
            "pipeline",
            "Pipeline created",
            pipeline,
            "money",
            "amount of every opportunity created",
        ),
        Headline("bookings", "Bookings", bookings, "money", "won deals"),
        Headline(
            "billed_revenue",
            "Billed revenue",
            billed,
            "money",
            "paid invoices after the win",
        ),
        Headline("spend", "Marketing spend", spend, "money", "ad platforms and CRM campaign costs"),
        Headline(
            "blended_roas",
            "Blended ROAS",
            _ratio(bookings, spend),
            "ratio",
            "bookings ÷ marketing spend",
        ),
        Headline(
            "mql_to_sql_rate",
            "MQL → SQL",
            _ratio(funnel_row[3], funnel_row[1]),
            "percent",
            f"{funnel_row[3]:,} SQLs from {funnel_row[1]:,} MQLs",
        ),
        Headline(
            "median_speed_to_lead_hours",
            "Median speed to lead",
            _f(sla_row[1]),
            "hours",
            "MQL to first sales activity",
        ),
        Headline(
            "sla_breach_rate",
            "SLA breach rate",
            _f(sla_row[2]),
            "percent",
            "late or never followed up" + (f" (target {target:g} h)" if target else ""),
        ),
        Headline(
            "marketing_sourced_share",
            "Marketing-sourced pipeline",
            _ratio(sourced, pipeline),
            "percent",
            "first touch before the deal was marketing",
        ),
    ]

    edges = sorted({*SLA_EDGES, *([target] if target else [])})
    # one row per bin [lower, upper); the last bin, [last edge, infinity), is the overflow bar
    lowers, uppers = edges, [*edges[1:], float("inf")]
    binned = dict(
        con.execute(
            """
            with bins as (
                select
                    unnest(?::double[]) as lower_hours,
                    unnest(?::double[]) as upper_hours
            )
            select
                bins.lower_hours,
                count(handoffs.lead_id) as mqls
            from bins
            left join marts.lead_handoffs as handoffs
                -- (greatest() skips nulls: never-followed-up leads must not land in bin 0)
                on handoffs.hours_to_first_activity is not null
                and greatest(handoffs.hours_to_first_activity, 0) >= bins.lower_hours
                and greatest(handoffs.hours_to_first_activity, 0) < bins.upper_hours
            group by bins.lower_hours
            """,
            [lowers, uppers],
        ).fetchall()
    )
    counts = [int(binned[lower]) for lower in edges[:-1]]
    overflow = int(binned[edges[-1]])

    quality_rows = con.execute(
        """
        select dimension_value, leads, disqualified_leads, disqualification_rate, mql_rate,
            sql_rate, disqualification_reason, reason_leads, is_disqualification
        from marts.lead_quality
        where dimension_type = 'channel'
        order by leads desc, dimension_value, disqualification_reason
        """
    ).fetchall()
    quality: dict[str, ChannelQuality] = {}
    for r in quality_rows:
        if r[0] not in quality:
            quality[r[0]] = ChannelQuality(r[0], r[1], r[2], _f(r[3]), _f(r[4]), _f(r[5]), {})
        if r[8]:
            quality[r[0]].reasons[r[6]] = r[7]

    sourcing = [
        SourcingQuality(r[0], r[1], _f(r[2]), _f(r[3]), _f(r[4]))
        for r in con.execute(
            """
            select sourcing_channel, opportunities, win_rate, avg_deal_size,
                median_sales_cycle_days
            from marts.opportunity_quality
            order by opportunities desc, sourcing_channel
            """
        ).fetchall()
    ]
    spend_from, spend_to = _one(
        con, "select min(spend_month), max(spend_month) from marts.marketing_spend"
    )
    as_of = _one(con, "select max(as_of_at) from marts.lead_handoffs")[0]

    return ReportData(
        generated_at=generated_at,
        currency=currency,
        headlines=headlines,
        funnel=list(
            zip(
                ("Leads", "MQLs", "SALs", "SQLs", "Opportunities", "Won", "First payment"),
                funnel_row[:7],
                strict=True,
            )
        ),
        primary_model=primary,
        comparison_model=comparison_model,
        returns=returns,
        sla_target_hours=target,
        sla_edges=edges,
        sla_counts=counts,
        sla_overflow=overflow,
        sla_within=int(sla_row[5]),
        sla_never_followed_up=int(sla_row[3]),
        sla_awaiting=int(sla_row[4]),
        quality=list(quality.values()),
        sourcing=sourcing,
        leads_from=funnel_row[7],
        leads_to=funnel_row[8],
        spend_from=spend_from,
        spend_to=spend_to,
        as_of=as_of,
    )


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
            percent(_ratio(count, data.funnel[i - 1][1])) if i else "",
            percent(_ratio(count, data.funnel[0][1])),
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
                Series(reason, [_ratio(q.reasons.get(reason, 0), q.leads) or 0.0 for q in shown])
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


# -- publishing ---------------------------------------------------------------------------


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so
    a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RevenueReportConfig(dg.Config):
    """Which attribution model the report shows beside the default one."""

    comparison_model: str = "linear"


@dg.asset(
    key=["reports", "revenue_report"],
    deps=[dg.AssetKey(m) for m in MARTS],
    group_name="reports",
    kinds={"html"},
    description="A self-contained HTML page (no network needed to view it) with the headline "
    "numbers, the lifecycle funnel, channel return under two attribution models, the "
    f"speed-to-lead distribution and lead quality by channel: `<reports dir>/{REPORT_FILE}`.",
)
def revenue_report(
    context: dg.AssetExecutionContext, config: RevenueReportConfig, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    started = time.perf_counter()
    with duckdb.get_connection() as con:
        data = read_report_data(con, comparison_model=config.comparison_model)
    data = replace(data, run_id=context.run_id)
    page = render_report(data)
    path = reports_path() / REPORT_FILE
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
