-- Attributed credit equals the conversions under all ten models side by side: per conversion
-- type, each model's column of attribution_model_comparison (eight rule-based models, Markov
-- and Shapley) adds up to the conversion value of int_conversions_unioned, to the cent.
-- Returns every conversion type and model that does not reconcile.
{{ config(
    tags=['reconciliation'],
    meta={'dagster': {'ref': {'name': 'attribution_model_comparison'}}},
) }}
{%- set models = ['first_touch', 'last_touch', 'last_non_direct', 'linear', 'time_decay',
                 'u_shaped', 'w_shaped', 'full_path', 'markov', 'shapley'] %}

with

conversions as (

    select
        conversion_type,
        sum(coalesce(conversion_amount, 0)) as conversion_amount
    from {{ ref('int_conversions_unioned') }}
    group by conversion_type

),

credited as (

    {% for model in models -%}
    select
        conversion_type,
        '{{ model }}' as attribution_model,
        sum({{ model }}_amount) as credited_amount
    from {{ ref('attribution_model_comparison') }}
    group by conversion_type
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

expected as (

    {% for model in models -%}
    select
        conversion_type,
        '{{ model }}' as attribution_model,
        conversion_amount
    from conversions
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select
    expected.conversion_type,
    expected.attribution_model,
    expected.conversion_amount,
    credited.credited_amount
from expected
left join credited
    on expected.conversion_type = credited.conversion_type
    and expected.attribution_model = credited.attribution_model
where credited.credited_amount is null
    or credited.credited_amount <> expected.conversion_amount
