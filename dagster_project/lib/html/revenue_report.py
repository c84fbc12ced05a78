"""The revenue report: one self-contained HTML page written after every run.

Marketing and sales read the same numbers from the performance marts: the headline figures,
the lifecycle funnel, spend and return per channel under two attribution models, the speed-to-lead
distribution against the SLA target and lead quality by channel. The page has no script, font or
image to fetch (charts are inline SVG from :mod:`.charts`), so it opens from a file share, a mail
attachment or the Dagster UI link with no network.

:func:`.report_data.read_report_data` reads the marts into plain values (:class:`ReportData`);
:func:`render_report` turns them into HTML (pure, no I/O): the functions here prepare the values
(formatted numbers, table rows, the SVG charts) and ``templates/revenue_report.html.j2`` holds the
markup and the prose, autoescaped; :func:`write_atomically` publishes the file; the asset wires
the three together.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from markupsafe import Markup

from dagster_project.lib.html import charts
from dagster_project.lib.html.charts import Series
from dagster_project.lib.html.render import render_template
from dagster_project.lib.serving.report_data import (
    NO_MARKETING_TOUCH,
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


def count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def hours(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f} h"


def display(headline: Headline, currency: str) -> str:
    """The headline's value as shown on the page."""
    return {
        "money": lambda v: money(v, currency),
        "percent": percent,
        "ratio": ratio,
        "count": count,
    }.get(headline.kind, hours)(headline.value)


def model_name(model: str) -> str:
    """w_shaped -> W-shaped, last_touch -> Last touch."""
    names = {"w_shaped": "W-shaped", "u_shaped": "U-shaped", "markov": "Markov"}
    return names.get(model, model.replace("_", " ").capitalize())


# -- data for the template ----------------------------------------------------------------

TEMPLATE = "revenue_report.html.j2"


@dataclass(frozen=True)
class Table:
    """A collapsible table of formatted cells under a chart."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    summary: str


@dataclass(frozen=True)
class Card:
    """One headline figure: ``value`` as shown, ``value_repr`` the exact number (data-value)."""

    key: str
    label: str
    value: str
    value_repr: str
    note: str


def _day(value: date | datetime | None) -> str:
    return "n/a" if value is None else value.strftime("%Y-%m-%d")


def _month(value: date | None) -> str:
    return "n/a" if value is None else value.strftime("%Y-%m")


def _meta(data: ReportData) -> str:
    generated = data.generated_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Generated {generated} · leads created {_day(data.leads_from)} to "
        f"{_day(data.leads_to)} · spend {_month(data.spend_from)} to {_month(data.spend_to)} · "
        f"data as of {_day(data.as_of)} · amounts in {data.currency}"
    )


def _headlines(data: ReportData) -> list[Card]:
    return [
        Card(h.key, h.label, display(h, data.currency), repr(h.value), h.note)
        for h in data.headlines
    ]


def _funnel(data: ReportData) -> dict[str, Any]:
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
    return {
        "chart": chart,
        "table": Table(
            ["stage", "people", "from stage above", "from leads"], rows, "Funnel numbers"
        ),
    }


def _roi(data: ReportData) -> dict[str, Any]:
    primary, other = data.primary_model, data.comparison_model
    by_channel = {r.channel: r for r in data.returns[primary]}
    other_by_channel = {r.channel: r for r in data.returns[other]}
    spent = [r.channel for r in data.returns[primary] if r.spend > 0][:MAX_CHANNELS]
    chart: Markup | None = None
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
            f"{r.channel}: not marketing return" if r.channel in NO_MARKETING_TOUCH else r.channel,
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
    header = [
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
    ]
    return {
        "chart": chart,
        "currency": cur,
        "primary": model_name(primary),
        "primary_note": MODEL_NOTES.get(primary, "see the attribution marts"),
        "other": model_name(other),
        "other_note": MODEL_NOTES.get(other, "see the attribution marts"),
        "table": Table(header, rows, f"Spend and return per channel ({model_name(primary)})"),
    }


def _sla(data: ReportData) -> dict[str, Any]:
    target = data.sla_target_hours
    if target is None:
        return {"target": None}
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
    return {
        "target": f"{target:g}",
        "chart": chart,
        "followed": f"{sum(data.sla_counts) + data.sla_overflow:,}",
        "within": f"{data.sla_within:,}",
        "never_followed_up": f"{data.sla_never_followed_up:,}",
        "awaiting": f"{data.sla_awaiting:,}",
        "table": Table(["hours", "MQLs"], rows, "Distribution numbers"),
    }


def _quality(data: ReportData) -> dict[str, Any]:
    shown = data.quality[:MAX_CHANNELS]
    totals: dict[str, int] = {}
    for q in data.quality:
        for reason, n in q.reasons.items():
            totals[reason] = totals.get(reason, 0) + n
    reasons = sorted(totals, key=lambda r: (-totals[r], r))
    chart: Markup | None = None
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
    return {
        "chart": chart,
        "table": Table(
            ["channel", "leads", "MQL rate", "SQL rate", "disqualified", "top reason"],
            rows,
            "Lead quality per channel",
        ),
        "sourcing_table": Table(
            ["sourcing channel", "opportunities", "win rate", "avg won deal", "median cycle days"],
            sourcing_rows,
            "Opportunity quality per sourcing channel",
        ),
    }


# what each coverage measure counts, for "affected of total <unit>": (one, several)
COVERAGE_UNITS = {
    "anonymous_touches": ("touch", "touches"),
    "deals_without_touch": ("deal", "deals"),
    "deals_without_marketing_touch": ("deal", "deals"),
    "lead_deals_without_touch_before_lead": ("deal from a lead", "deals from a lead"),
    "billed_not_matched": ("billing customer", "billing customers"),
    "money_records_rejected": ("record", "records"),
}


def _coverage(data: ReportData) -> list[dict[str, str]]:
    """One item per blind spot: the count (of its whole), the money, what it means."""
    cur = data.currency
    items = []
    for c in data.coverage:
        one, several = COVERAGE_UNITS.get(c.measure, ("", ""))
        unit = one if (c.affected if c.total is None else c.total) == 1 else several
        counted = (
            f"{c.affected:,} {unit}"
            if c.total is None
            else f"{c.affected:,} of {c.total:,} {unit} ({percent(c.share)})"
        )
        if c.amount is not None:
            counted += f" · {money(c.amount, cur)}"
            if c.total_amount:
                counted += f" of {money(c.total_amount, cur)} ({percent(c.amount_share)})"
        items.append(
            {
                "measure": c.measure,
                "label": c.label,
                "value": counted,
                "share": "" if c.share is None else repr(c.share),
                "consequence": c.consequence,
            }
        )
    return items


def _loop(data: ReportData) -> dict[str, Any] | None:
    """Surges and follow-up, the call list, the recycle list and what the write-back pushed."""
    loop = data.loop
    if loop is None:
        return None
    calls = Table(
        ["#", "account", "owner", "score", "baseline", "surging since", "engaged people",
         "last touch", "last sales touch"],
        [
            [
                str(c.rank), c.account, c.owner or "n/a", f"{c.score:,.1f}", f"{c.baseline:,.1f}",
                _day(c.surge_since),
                f"{c.engaged_people:,}" + (f" ({c.titles})" if c.titles else ""),
                c.last_touch or "n/a", _day(c.last_sales_touch),
            ]
            for c in loop.calls
        ],
        f"Call today: {loop.call_today:,} accounts"
        + (f" (first {len(loop.calls)})" if loop.call_today > len(loop.calls) else ""),
    )  # fmt: skip
    labels = {
        "sla_missed": "MQL never followed up within the SLA",
        "disqualified_timing": "disqualified by sales: timing",
        "disqualified_no_response": "disqualified by sales: no response",
    }
    nurture = Table(
        ["reason", "leads"],
        [[labels.get(k, k), f"{v:,}"] for k, v in loop.nurture.items()],
        f"Recycled to marketing: {sum(loop.nurture.values()):,} leads",
    )
    pushes = Table(
        ["target", "object", "mode", "to send", "sent", "accepted", "refused", "unprocessed",
         "too old", "when"],
        [
            [
                p["target"], p["object"], p["mode"].replace("_", "-"), f"{p['rows_pending']:,}",
                f"{p['rows_sent']:,}", f"{p['rows_succeeded']:,}", f"{p['rows_failed']:,}",
                f"{p['rows_unprocessed']:,}", f"{p['rows_expired']:,}",
                p["finished_at"].strftime("%Y-%m-%d %H:%M") if p["finished_at"] else "n/a",
            ]
            for p in loop.pushes
        ],
        "Last push per target",
    )  # fmt: skip
    failures = Table(
        ["target", "object", "reason", "records"],
        [[t, o, r, f"{n:,}"] for t, o, r, n in loop.failures],
        f"Refused or unprocessed in the last push: {sum(n for *_, n in loop.failures):,} "
        "(sent again next night)",
    )
    return {
        "week": _day(loop.week),
        "surging": f"{loop.surging:,}",
        "sales_on_it": f"{loop.sales_on_it:,}",
        "followed_up": f"{loop.followed_up_since_surge:,}",
        "not_followed_up": f"{loop.surging - loop.followed_up_since_surge:,}",
        "call_today": f"{loop.call_today:,}",
        "calls": calls,
        "nurture": nurture,
        "pushes": pushes,
        "pushed": bool(loop.pushes),
        "failures": failures if loop.failures else None,
    }


def report_context(data: ReportData) -> dict[str, Any]:
    """Everything the template prints, prepared from ``data`` (pure)."""
    return {
        "meta": _meta(data),
        "headlines": _headlines(data),
        "funnel": _funnel(data),
        "roi": _roi(data),
        "sla": _sla(data),
        "quality": _quality(data),
        "coverage": _coverage(data),
        "loop": _loop(data),
        "run_id": data.run_id,
    }


def render_report(data: ReportData) -> str:
    """The whole page as one HTML string: inline CSS and SVG, no script, nothing to fetch."""
    return render_template(TEMPLATE, **report_context(data))
