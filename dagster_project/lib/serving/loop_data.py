"""The report's "closing the loop" figures: surging accounts and whether sales followed up, the
call-today list, the recycle list by reason, and what last night's write-back pushed (read from
the activation marts and ``writeback.push_runs``, inside the report's read-only transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dagster_project.lib.connectors.push_state import last_push

# the activation marts the report reads (asset keys are the dbt model names)
LOOP_MARTS = ("account_engagement", "accounts_to_call", "nurture_leads")
CALL_ROWS = 25  # call-today accounts listed (the list itself is in marts.accounts_to_call)


@dataclass(frozen=True)
class CallRow:
    rank: int
    account: str
    owner: str | None
    score: float
    baseline: float
    surge_since: date | None
    engaged_people: int
    titles: str | None
    last_touch: str
    last_sales_touch: datetime | None


@dataclass(frozen=True)
class Loop:
    """Surges this week, who sales is on, the call list, the recycle list and the last push."""

    week: date | None
    surging: int
    sales_on_it: int
    followed_up_since_surge: int
    call_today: int
    calls: list[CallRow] = field(default_factory=list)
    nurture: dict[str, int] = field(default_factory=dict)  # reason -> leads
    pushes: list[dict[str, Any]] = field(default_factory=list)
    # the last push's refused or unprocessed records: (target, object, reason, records)
    failures: list[tuple[str, str, str, int]] = field(default_factory=list)


def read_loop(con) -> Loop:  # noqa: ANN001 (a DuckDB connection)
    week, surging, on_it, followed = con.execute(
        """
        select max(week_start), count(*) filter (where is_surging),
            count(*) filter (where is_surging and is_sales_on_it),
            count(*) filter (
                where is_surging and last_sales_activity_at >= surge_started_on
            )
        from marts.account_engagement where is_current_week
        """
    ).fetchone()
    total = con.execute("select count(*) from marts.accounts_to_call").fetchone()[0]
    rows = con.execute(
        f"""
        select call_rank, account_name, account_owner_name, engagement_score, baseline_score,
            surge_started_on, engaged_people, engaged_titles,
            concat_ws(' ', strftime(last_touch_at, '%Y-%m-%d'), last_touch_channel,
                '(' || last_touch_type || ')'),
            last_sales_activity_at
        from marts.accounts_to_call order by call_rank limit {CALL_ROWS}
        """
    ).fetchall()
    nurture = dict(
        con.execute(
            "select nurture_reason, count(*) from marts.nurture_leads group by 1 order by 2 desc"
        ).fetchall()
    )
    pushes = last_push(con)
    failures = []
    if pushes:  # the reason is the error's code (STATUS_CODE:message, or Google's CODE: ...)
        failures = con.execute(
            """
            select f.target, f.object, split_part(f.error, ':', 1), count(*)
            from writeback.push_failures as f
            where f.push_id in (select unnest(?))
            group by all order by 4 desc, 1, 2, 3
            """,
            [sorted({p["push_id"] for p in pushes})],
        ).fetchall()
    return Loop(
        week=week,
        surging=int(surging or 0),
        sales_on_it=int(on_it or 0),
        followed_up_since_surge=int(followed or 0),
        call_today=int(total),
        calls=[
            CallRow(r[0], r[1], r[2], float(r[3]), float(r[4] or 0), r[5], int(r[6] or 0), *r[7:])
            for r in rows
        ],
        nurture=nurture,
        pushes=pushes,
        failures=[(t, o, r, int(n)) for t, o, r, n in failures],
    )
