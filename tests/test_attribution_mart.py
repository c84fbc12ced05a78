"""Attribution marts on the small generated world: the invariants hold on real data and the
data-driven results written by the Dagster asset add up."""

from __future__ import annotations

import duckdb
import pytest

MODELS = {
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
}


@pytest.fixture(scope="module")
def con(loaded):
    assert loaded["result"].success
    with duckdb.connect(str(loaded["warehouse"]), read_only=True) as connection:
        yield connection


def test_every_conversion_is_credited_exactly_once_per_model(con):
    conversions = con.execute("""
        select conversion_type, count(*), sum(conversion_amount)
        from intermediate.int_conversions_unioned group by 1 order by 1""").fetchall()
    assert {c[0] for c in conversions} == {"pipeline", "bookings", "billed_revenue"}
    for conversion_type, count, amount in conversions:
        rows = con.execute(
            """
            select attribution_model, count(distinct conversion_id), sum(credited_amount),
                   sum(credit_fraction)
            from marts.attribution_credits where conversion_type = ? group by 1""",
            [conversion_type],
        ).fetchall()
        assert {r[0] for r in rows} == MODELS
        for model, converted, credited, fractions in rows:
            assert converted == count, (conversion_type, model)
            assert credited == amount, (conversion_type, model)  # to the cent
            assert fractions == pytest.approx(count, abs=1e-6), (conversion_type, model)


def test_no_touch_after_its_conversion_and_only_marketing_touches(con):
    late, sales = con.execute("""
        select count(*) filter (where c.touched_at > c.converted_at),
               count(*) filter (where not t.is_marketing_touch)
        from marts.attribution_credits c
        left join marts.touchpoints t using (touchpoint_id)
        where c.touchpoint_id is not null""").fetchone()
    assert (late, sales) == (0, 0)


def test_conversions_without_a_marketing_touch_land_in_their_own_bucket(con):
    bucket = con.execute("""
        select count(distinct conversion_id) from marts.attribution_credits
        where channel = '(no marketing touch)'""").fetchone()[0]
    untouched = con.execute("""
        select count(*) from intermediate.int_conversions_unioned c
        where not exists (
            select 1 from marts.journey_touches j
            where j.opportunity_id = c.opportunity_id and j.is_marketing_touch
                and j.is_attributed and j.touched_at <= c.converted_at)""").fetchone()[0]
    assert bucket == untouched > 0


def test_first_touch_credits_the_first_eligible_marketing_touch(con):
    wrong = con.execute("""
        with first as (
            select c.conversion_id, min(j.touched_at) as first_at
            from intermediate.int_conversions_unioned c
            join marts.journey_touches j on j.opportunity_id = c.opportunity_id
                and j.is_marketing_touch and j.is_attributed and j.touched_at <= c.converted_at
            group by 1
        )
        select count(*) from marts.attribution_credits a join first using (conversion_id)
        where a.attribution_model = 'first_touch' and a.credit_fraction = 1
            and a.touched_at <> first.first_at""").fetchone()[0]
    assert wrong == 0


def test_data_driven_credit_adds_up_to_the_path_table(con):
    rows = con.execute("""
        select d.conversion_type, d.attribution_model, sum(d.attributed_conversions),
               sum(d.attributed_value), p.conversions, p.value
        from attribution.data_driven_channel_credit d
        join (select conversion_type, sum(conversions) as conversions,
                     sum(conversion_value) as value
              from marts.attribution_paths group by 1) p using (conversion_type)
        group by all""").fetchall()
    assert {(r[0], r[1]) for r in rows} >= {
        ("pipeline", "markov"),
        ("bookings", "markov"),
        ("pipeline", "shapley"),
    }
    for _, _, conversions, value, expected_conversions, expected_value in rows:
        assert conversions == pytest.approx(expected_conversions, rel=1e-9)
        assert value == pytest.approx(float(expected_value), rel=1e-9)


def test_model_comparison_shows_every_model_side_by_side(con):
    cols = [c[0] for c in con.execute("describe marts.attribution_model_comparison").fetchall()]
    for model in [*MODELS, "markov", "shapley"]:
        assert f"{model}_amount" in cols
    totals = con.execute("""
        select conversion_type, sum(linear_amount), sum(w_shaped_amount), sum(markov_amount)
        from marts.attribution_model_comparison group by 1""").fetchall()
    amounts = dict(
        con.execute("""
        select conversion_type, sum(conversion_amount)
        from intermediate.int_conversions_unioned group by 1""").fetchall()
    )
    for conversion_type, linear, w_shaped, markov in totals:
        assert linear == w_shaped == amounts[conversion_type]
        # the data-driven values are rounded to cents that add up exactly
        assert markov == amounts[conversion_type]
