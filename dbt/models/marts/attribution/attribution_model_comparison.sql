{%- set models = ['first_touch', 'last_touch', 'last_non_direct', 'linear', 'time_decay',
                 'u_shaped', 'w_shaped', 'full_path', 'markov', 'shapley'] %}
{%- set amounts = [] %}
{%- for m in models %}{% do amounts.append(m ~ '_amount') %}{% endfor %}

{#- Credit per channel under every attribution model side by side, per conversion type, so a
    marketer sees how conclusions change with the model: the eight rule-based models from
    attribution_by_channel and the data-driven Markov and Shapley results. Conversions without
    a marketing touch are their own row ('(no marketing touch)'). -#}

with

rules as (

    select
        conversion_type,
        channel,
        attribution_model,
        credited_amount
    from {{ ref('attribution_by_channel') }}

),

data_driven as (

    select
        conversion_type,
        case when channel = '(no touch)' then '(no marketing touch)' else channel end as channel,
        attribution_model,
        cast(attributed_value as decimal(18, 2)) as credited_amount
    from {{ ref('data_driven_channel_credit') }}

),

unioned as (

    select * from rules
    union all
    select * from data_driven

),

final as (

    select
        -- ids
        {{ dbt.concat(["conversion_type", "':'", "channel"]) }} as comparison_key,

        -- strings
        conversion_type,
        channel,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
    {%- for model in models %}
    coalesce(sum(credited_amount) filter (where attribution_model = '{{ model }}'), 0)
        as {{ model }}_amount{% if not loop.last %},{% endif %}
    {%- endfor %}

    from unioned
    group by conversion_type, channel

),

with_spread as (

    select
        *,
        -- how far apart the models are for this channel
        greatest({{ amounts | join(', ') }}) - least({{ amounts | join(', ') }})
            as spread_between_models
    from final

)

select * from with_spread
