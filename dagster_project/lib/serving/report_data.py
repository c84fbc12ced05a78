"""The revenue report's figures, read from the performance marts as plain values.

One read-only transaction (a consistent snapshot; a write would fail) runs a handful of small
aggregate queries; everything else in the report works on the returned :class:`ReportData`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from dagster_project.lib.serving.loop_data import LOOP_MARTS, Loop, read_loop

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
    "customer_revenue",
    "attribution_coverage",
    *LOOP_MARTS,
)
# hours from MQL to first sales activity: bin edges of the speed-to-lead histogram (the SLA
# target is added as an edge); uneven on purpose, most follow-ups happen in the first hours
SLA_EDGES = (0.0, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0, 72.0, 120.0, 168.0)
# the return marts' bucket of conversions no marketing touch reached: rule-based models, and
# the data-driven models' name for it; not marketing return (left out of ROAS and CAC)
NO_MARKETING_TOUCH = ("(no marketing touch)", "(no touch)")


@dataclass(frozen=True)
class Headline:
    """One headline figure: a stable key (also the metadata key), a label, the raw value and
    how it is shown ("money", "percent", "ratio", "hours", "count")."""

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
class Coverage:
    """One blind spot under the attribution (attribution_coverage): what is affected, out of
    how much, and what it means for the figures."""

    measure: str
    label: str
    affected: int
    total: int | None
    share: float | None
    amount: float | None
    total_amount: float | None
    amount_share: float | None
    consequence: str


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
    coverage: list[Coverage] = field(default_factory=list)
    loop: Loop | None = None
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
        order by list_contains(?, channel), spend_amount desc, bookings_amount desc, channel
        """,
        [model, list(NO_MARKETING_TOUCH)],
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


def safe_ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
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

    # summed in the database, in decimals, so the totals are exact to the cent. Marketing
    # return leaves out the deals no marketing touch reached (their own bucket, shown apart).
    no_touch = ", ".join(f"'{label}'" for label in NO_MARKETING_TOUCH)
    spend, bookings, billed, marketing_bookings, marketing_won, untouched_bookings, window = (
        _f(v)
        for v in _one(
            con,
            f"""
            select sum(spend_amount), sum(bookings_amount), sum(billed_revenue_amount),
                sum(bookings_amount) filter (where channel not in ({no_touch})),
                sum(won_deals) filter (where channel not in ({no_touch})),
                coalesce(sum(bookings_amount) filter (where channel in ({no_touch})), 0),
                max(billed_revenue_window_days)
            from marts.marketing_return_by_channel where attribution_model = ?
            """,
            [primary],
        )
    )
    pipeline, sourced, sales_sourced_deals = (
        _f(v)
        for v in _one(
            con,
            "select sum(pipeline_amount), sum(marketing_sourced_amount), "
            "sum(sales_sourced_opportunities) from marts.pipeline_sourcing",
        )
    )
    total_billed, unmatched_billed, unmatched_customers = (
        _f(v)
        for v in _one(
            con,
            "select sum(billed_amount), "
            "coalesce(sum(billed_amount) filter (where not is_linked_to_crm), 0), "
            "count(*) filter (where not is_linked_to_crm) from marts.customer_revenue",
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
    days = f"{window:,.0f} days" if window is not None else "the window"
    headlines = [
        Headline(
            "pipeline",
            "Pipeline created",
            pipeline,
            "money",
            "amount of every opportunity created",
        ),
        Headline(
            "marketing_sourced_share",
            "Marketing-sourced pipeline",
            safe_ratio(sourced, pipeline),
            "percent",
            "share of pipeline whose lead a marketing touch created",
        ),
        Headline(
            "sales_sourced_deals",
            "Sales-sourced deals",
            sales_sourced_deals,
            "count",
            "opened on outbound contacts or on leads no marketing touch created",
        ),
        Headline("bookings", "Bookings", bookings, "money", "every won deal"),
        Headline(
            "total_billed",
            "Total billed",
            total_billed,
            "money",
            "all of billing: paid invoices net of refunds, every customer",
        ),
        Headline(
            "billed_revenue",
            "Billed revenue attributed to won deals",
            billed,
            "money",
            f"paid within {days} after a win, customers matched to a CRM account",
        ),
        Headline(
            "unmatched_billed",
            "Billed, no CRM account",
            unmatched_billed,
            "money",
            f"{unmatched_customers or 0:,.0f} billing customers matched to no CRM account: "
            "in no attribution",
        ),
        Headline("spend", "Marketing spend", spend, "money", "ad platforms and CRM campaign costs"),
        Headline(
            "blended_roas",
            "Blended ROAS",
            safe_ratio(marketing_bookings, spend),
            "ratio",
            "bookings credited to marketing channels ÷ marketing spend",
        ),
        Headline(
            "blended_cac",
            "Blended CAC",
            safe_ratio(spend, marketing_won),
            "money",
            "marketing spend ÷ won deals credited to marketing channels",
        ),
        Headline(
            "no_marketing_touch_bookings",
            "Bookings no marketing touch reached",
            untouched_bookings,
            "money",
            "won deals whose people no marketing touch reached: not in ROAS or CAC",
        ),
        Headline(
            "mql_to_sql_rate",
            "MQL → SQL",
            safe_ratio(funnel_row[3], funnel_row[1]),
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
    coverage = [
        Coverage(r[0], r[1], int(r[2]), r[3], _f(r[4]), _f(r[5]), _f(r[6]), _f(r[7]), r[8])
        for r in con.execute(
            """
            select measure, label, affected, total, share, affected_amount, total_amount,
                amount_share, consequence
            from marts.attribution_coverage
            order by sort_order
            """
        ).fetchall()
    ]

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
        coverage=coverage,
        loop=read_loop(con),
    )
