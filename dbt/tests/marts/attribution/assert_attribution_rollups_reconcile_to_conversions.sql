-- Attributed credit equals the conversions, per conversion type and rule-based model, in
-- every roll-up: attribution_by_channel, attribution_by_campaign and attribution_by_month each
-- credit exactly as many conversions (credit fractions summed) and exactly the conversion
-- value (to the cent) that int_conversions_unioned holds. (Per conversion, the credits of
-- attribution_credits add up already: assert_attribution_credit_adds_up; this covers the
-- roll-ups analysts read, so a lost join or a double-counted campaign shows.)
-- Returns every roll-up, conversion type and model that does not reconcile.
{{ config(
    tags=['reconciliation'],
    meta={'dagster': {'ref': {'name': 'attribution_by_channel'}}},
) }}
{%- set rollups = ['attribution_by_channel', 'attribution_by_campaign', 'attribution_by_month'] %}

with

conversions as (

    select
        conversion_type,
        count(*) as conversions,
        sum(coalesce(conversion_amount, 0)) as conversion_amount
    from {{ ref('int_conversions_unioned') }}
    group by conversion_type

),

models as (

    select distinct attribution_model
    from {{ ref('attribution_credits') }}

),

credited as (

    {% for rollup in rollups -%}
    select
        '{{ rollup }}' as rollup,
        conversion_type,
        attribution_model,
        sum(credited_conversions) as credited_conversions,
        sum(coalesce(credited_amount, 0)) as credited_amount
    from {{ ref(rollup) }}
    group by conversion_type, attribution_model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

expected as (

    {% for rollup in rollups -%}
    select
        '{{ rollup }}' as rollup,
        conversions.conversion_type,
        models.attribution_model,
        conversions.conversions,
        conversions.conversion_amount
    from conversions
    cross join models
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    expected.rollup,
    expected.conversion_type,
    expected.attribution_model,
    expected.conversions,
    credited.credited_conversions,
    expected.conversion_amount,
    credited.credited_amount
from expected
left join credited
    on expected.rollup = credited.rollup
    and expected.conversion_type = credited.conversion_type
    and expected.attribution_model = credited.attribution_model
where credited.rollup is null
    or abs(credited.credited_conversions - expected.conversions) > 1e-6
    or credited.credited_amount <> expected.conversion_amount
