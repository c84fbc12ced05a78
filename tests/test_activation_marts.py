"""Activation marts on the small generated world: engagement scores, surges and the call list
recomputed in Python from marts.touchpoints; nurture reasons from the CRM leads and the hand-offs;
the CRM write-back rows and the offline conversions checked against their sources."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest
import yaml

from dagster_project.defs.resources import DBT_PROJECT_DIR

VARS = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
WEIGHTS: dict[str, float] = VARS["engagement_touch_weights"]
HALF_LIFE = VARS["engagement_half_life_days"]
WINDOW = VARS["engagement_window_days"]
ACTIVE = VARS["engagement_active_days"]
BASELINE_WEEKS = VARS["engagement_baseline_weeks"]
CLICK_WINDOWS: dict[str, int] = VARS["ad_conversion_click_window_days"]


@pytest.fixture(scope="module")
def con(loaded):
    assert loaded["result"].success
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as connection:
        yield connection


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    result = con.execute(sql)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _monday(moment: datetime) -> datetime:
    return datetime.combine(moment.date() - timedelta(days=moment.weekday()), datetime.min.time())


def _expected_weeks(con: duckdb.DuckDBPyConnection) -> tuple[datetime, dict[tuple, dict]]:
    """Every account week the rules produce: score, engaged people, baseline, surge, measured_at."""
    touches = _rows(con, "select * from marts.touchpoints")
    as_of = max(t["touched_at"] for t in touches)
    as_of_week = _monday(as_of)
    by_account = defaultdict(list)
    for t in touches:
        if t["is_marketing_touch"] and t["account_id"] is not None:
            by_account[t["account_id"]].append(t)
    weeks: dict[tuple, dict] = {}
    for account, account_touches in by_account.items():
        week = _monday(min(t["touched_at"] for t in account_touches))
        while week <= as_of_week:
            week_end = week + timedelta(days=7)
            measured = as_of if week == as_of_week else week_end
            score, counted, people = 0.0, 0, set()
            for t in account_touches:
                age = (measured - t["touched_at"]).total_seconds() / 86400
                # a week counts the touches of that week and before (Monday 00:00 starts a week)
                if t["touched_at"] < week_end and age <= WINDOW:
                    score += WEIGHTS.get(t["touch_type"], 1) * 0.5 ** (age / HALF_LIFE)
                    counted += 1
                    if age <= ACTIVE and t["person_key"] is not None:
                        people.add(t["person_key"])
            if counted:
                weeks[(account, week.date())] = {
                    "score": round(score, 2),
                    "engaged_people": len(people),
                    "measured_at": measured,
                }
            week = week_end
    for (account, week), row in weeks.items():
        previous = [
            weeks.get((account, week - timedelta(days=7 * i)), {"score": 0.0})["score"]
            for i in range(1, BASELINE_WEEKS + 1)
        ]
        row["baseline"] = round(sum(previous) / BASELINE_WEEKS, 2)
        row["surging"] = (
            row["score"] >= VARS["engagement_surge_min_score"]
            and row["score"] >= VARS["engagement_surge_ratio"] * row["baseline"]
        )
    return as_of, weeks


def test_account_scores_baselines_and_surges_match_a_python_recomputation(con):
    as_of, expected = _expected_weeks(con)
    mart = {
        (r["account_id"], r["week_start"]): r
        for r in _rows(con, "select * from marts.account_engagement")
    }
    assert mart.keys() == expected.keys()
    assert len(mart) > 100
    for key, row in mart.items():
        want = expected[key]
        assert row["engagement_score"] == pytest.approx(want["score"], abs=0.011), key
        assert row["baseline_score"] == pytest.approx(want["baseline"], abs=0.011), key
        assert row["engaged_people"] == want["engaged_people"], key
        assert row["measured_at"] == want["measured_at"], key
        assert row["is_surging"] == want["surging"], key
        assert row["is_current_week"] == (key[1] == _monday(as_of).date()), key
    # surge runs: a surging week continues the run of the week before, or starts one
    for (account, week), row in mart.items():
        if not row["is_surging"]:
            assert row["surge_started_on"] is None
            continue
        before = mart.get((account, week - timedelta(days=7)))
        if before is not None and before["is_surging"]:
            assert row["surge_started_on"] == before["surge_started_on"]
        else:
            assert row["surge_started_on"] == week


def test_sales_facts_of_an_account_week(con):
    sales = defaultdict(list)
    for t in _rows(
        con,
        "select account_id, touched_at from marts.touchpoints "
        "where touch_category = 'sales' and account_id is not null",
    ):
        sales[t["account_id"]].append(t["touched_at"])
    opportunities = defaultdict(list)
    for o in _rows(con, "select * from marts.opportunities"):
        opportunities[o["account_id"]].append(o)
    rows = _rows(con, "select * from marts.account_engagement")
    for row in rows:
        week_end = datetime.combine(row["week_start"] + timedelta(days=7), datetime.min.time())
        seen = [at for at in sales[row["account_id"]] if at < week_end]
        assert row["last_sales_activity_at"] == (max(seen) if seen else None)
        measured = row["measured_at"]
        open_now = [
            o
            for o in opportunities[row["account_id"]]
            if o["created_at"] <= measured
            and (not o["is_closed"] or (o["closed_at"] is not None and o["closed_at"] > measured))
        ]
        assert row["has_open_opportunity"] == bool(open_now)
        if open_now:
            largest = sorted(
                open_now,
                key=lambda o: (
                    o["amount_reporting"] is None,
                    -(o["amount_reporting"] or 0),
                    o["opportunity_id"],
                ),
            )
            assert row["open_opportunity_id"] == largest[0]["opportunity_id"]
        recent = measured - timedelta(days=VARS["engagement_sales_recent_days"])
        on_it = bool(open_now) or (seen != [] and max(seen) >= recent)
        assert row["is_sales_on_it"] == on_it


def test_call_list_is_the_unanswered_surging_accounts(con):
    current = _rows(
        con, "select * from marts.account_engagement where is_current_week and is_surging"
    )
    sales = _rows(
        con,
        "select account_id, touched_at from marts.touchpoints where touch_category = 'sales'",
    )
    answered = {
        row["account_id"]
        for row in current
        for touch in sales
        if touch["account_id"] == row["account_id"]
        and touch["touched_at"].date() >= row["surge_started_on"]
    }
    calls = _rows(con, "select * from marts.accounts_to_call order by call_rank")
    assert {c["account_id"] for c in calls} == {r["account_id"] for r in current} - answered
    assert [c["call_rank"] for c in calls] == list(range(1, len(calls) + 1))
    scores = [(-c["engagement_score"], c["account_id"]) for c in calls]
    assert scores == sorted(scores)
    for c in calls:
        assert c["surge_started_on"] is not None
        assert c["last_sales_activity_at"] is None or (
            c["last_sales_activity_at"].date() < c["surge_started_on"]
        )
    flagged = con.execute(
        "select account_id from marts.crm_account_updates where is_call_today"
    ).fetchall()
    assert {a for (a,) in flagged} == {c["account_id"] for c in calls}


def test_nurture_reasons_follow_the_crm_and_the_handoffs(con):
    leads = _rows(
        con,
        "select * from staging.stg_crm__leads "
        "where not coalesce(is_converted, false) and not coalesce(is_deleted, false)",
    )
    missed = {
        lead_id: due
        for lead_id, due in con.execute(
            "select lead_id, sla_due_at from marts.lead_handoffs "
            "where handoff_status = 'never_followed_up'"
        ).fetchall()
    }
    # a disqualified lead is nurtured since the last sales activity with its person (else its
    # MQL date, else its creation): never its last-modified time, which the push itself moves
    last_sales = dict(
        con.execute(
            "select l.record_id, max(t.touched_at) "
            "from intermediate.int_person_records_linked as l join marts.touchpoints as t "
            "on t.person_key = l.person_key and t.touch_category = 'sales' "
            "where l.record_type = 'lead' group by l.record_id"
        ).fetchall()
    )

    def dropped(lead: dict) -> date:
        return (last_sales.get(lead["lead_id"]) or lead["mql_at"] or lead["created_at"]).date()

    expected = {}
    for lead in leads:
        reason = None
        if lead["lead_status"] == "Unqualified" and lead["disqualification_reason"] == "Timing":
            reason, since = "disqualified_timing", dropped(lead)
        elif (
            lead["lead_status"] == "Unqualified"
            and lead["disqualification_reason"] == "No Response"
        ):
            reason, since = "disqualified_no_response", dropped(lead)
        elif lead["lead_id"] in missed:
            reason, since = "sla_missed", missed[lead["lead_id"]].date()
        if reason:
            expected[lead["lead_id"]] = (reason, since)
    nurture = {
        r["lead_id"]: (r["nurture_reason"], r["nurture_since"])
        for r in _rows(con, "select * from marts.nurture_leads")
    }
    assert nurture == expected
    assert {reason for reason, _ in nurture.values()} >= {"sla_missed"}
    # every write-back lead is open in Salesforce; nurture fields only on nurtured leads
    updates = _rows(con, "select * from marts.crm_lead_updates")
    assert {u["lead_id"] for u in updates} == {lead["lead_id"] for lead in leads}
    for u in updates:
        assert (u["nurture_reason"], u["nurture_since"]) == nurture.get(u["lead_id"], (None, None))
        assert u["engagement_score"] is None or u["engagement_score"] > 0
        assert u["first_touch"] is None or len(u["first_touch"]) <= 255


def test_person_score_of_the_warmest_nurture_lead(con):
    row = con.execute(
        "select person_key, engagement_score, as_of_at from marts.nurture_leads "
        "where engagement_score > 0 order by engagement_score desc, lead_id limit 1"
    ).fetchone()
    if row is None:
        pytest.skip("no nurtured lead has a recent marketing touch in this world")
    person_key, score, as_of = row
    touches = con.execute(
        "select touch_type, touched_at from marts.touchpoints "
        "where is_marketing_touch and person_key = ?",
        [person_key],
    ).fetchall()
    ages = [(kind, (as_of - at).total_seconds() / 86400) for kind, at in touches]
    expected = sum(WEIGHTS.get(k, 1) * 0.5 ** (a / HALF_LIFE) for k, a in ages if a <= WINDOW)
    assert score == pytest.approx(round(expected, 2), abs=0.011)


def test_attributed_amounts_stay_within_the_deal(con):
    rows = _rows(
        con,
        "select u.*, o.amount, o.currency as opportunity_currency, o.is_closed "
        "from marts.crm_opportunity_updates as u "
        "inner join marts.opportunities as o using (opportunity_id)",
    )
    assert len(rows) == con.execute("select count(*) from marts.opportunities").fetchone()[0]
    credits = dict(
        con.execute(
            "select opportunity_id, sum(credit_fraction) from marts.attribution_credits "
            "where conversion_type = 'pipeline' and attribution_model = ? "
            "and touchpoint_id is not null group by opportunity_id",
            [VARS["return_attribution_model"]],
        ).fetchall()
    )
    assert any(r["marketing_attributed_amount"] > 0 for r in rows)
    for r in rows:
        assert Decimal(0) <= r["marketing_attributed_amount"] <= r["amount"]
        expected = Decimal(str(round(float(r["amount"]) * credits.get(r["opportunity_id"], 0), 2)))
        assert abs(r["marketing_attributed_amount"] - expected) <= Decimal("0.01")
        assert r["currency"] == r["opportunity_currency"]
        assert (r["briefing"] is None) == r["is_closed"]
        assert r["first_touch"] is None or len(r["first_touch"]) <= 255


def test_briefings_write_dates_not_day_counts(con):
    rows = _rows(con, "select * from marts.sales_briefings")
    open_deals = con.execute(
        "select count(*) from marts.opportunities where not is_closed"
    ).fetchone()[0]
    assert sum(r["briefing_type"] == "open_opportunity" for r in rows) == open_deals
    for r in rows:
        lines = r["briefing"].split("\n")
        last = r["last_sales_touch_at"]
        assert lines[-1] == f"Last sales touch: {last.date() if last else 'none'}"
        assert "days since" not in r["briefing"] and "days ago" not in r["briefing"]
        assert lines[0].startswith("Sourcing: ") == (r["briefing_type"] == "open_opportunity")
        if last is not None:
            assert r["days_since_last_sales_touch"] == int(
                (r["as_of_at"] - last).total_seconds() // 86400
            )


def test_offline_conversions_carry_clicks_inside_each_platforms_window(con):
    rows = _rows(con, "select * from marts.ad_conversions")
    clicks = {
        r["record_id"]: r
        for r in _rows(con, "select * from marts.touchpoints where touch_type = 'ad_click'")
    }
    click_type = {"google_ads": "gclid", "meta_ads": "fbclid", "linkedin_ads": "li_fat_id"}
    assert {r["platform"] for r in rows} <= set(click_type)
    google = [r for r in rows if r["platform"] == "google_ads"]
    assert google, "the world has gclid clicks before SQLs or wins"
    for r in rows:
        if r["platform"] == "google_ads":
            assert r["click_id"] is not None
        if r["click_id"] is None:
            assert r["email"] is not None and r["email"] == r["email"].strip().lower()
            continue
        click = clicks[r["click_id"]]
        assert click["click_id_type"] == click_type[r["platform"]] == r["click_id_type"]
        assert click["person_key"] == r["person_key"]
        window = timedelta(days=CLICK_WINDOWS[r["platform"]])
        assert r["occurred_at"] - window <= r["clicked_at"] <= r["occurred_at"]
    for r in rows:
        if r["conversion_type"] == "won_deal":
            assert r["value_amount"] is not None and r["currency"] is not None
        else:
            assert r["value_amount"] is None and r["lead_id"] is not None
