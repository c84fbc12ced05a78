{#-
    Spend and return per attribution model and channel over the whole period: the rule-based
    models rolled up from marketing_return, plus the data-driven models (markov, shapley) from
    data_driven_channel_credit (the dbt Python model; channel level only, so they have no
    lead credit: leads and cost per lead are null). Spend per channel is the
    same under every model. `is_default_model` marks `return_attribution_model` (dbt var,
    default w_shaped): `where is_default_model` gives the headline view, `where
    attribution_model = '...'` any other.
-#}

{%- set contract_months = var('contract_term_months', 12) %}

with

rule_based as (

    select
        attribution_model,
        'rule_based' as model_family,
        channel,
        sum(spend_amount) as spend_amount,
        {{ exact_sum('leads') }} as leads,
        {{ exact_sum('opportunities') }} as opportunities,
        sum(pipeline_amount) as pipeline_amount,
        {{ exact_sum('won_deals') }} as won_deals,
        sum(bookings_amount) as bookings_amount,
        sum(billed_revenue_amount) as billed_revenue_amount
    from {{ ref('marketing_return') }}
    group by attribution_model, channel

),

channel_spend as (

    select
        channel,
        sum(spend_amount_reporting) as spend_amount
    from {{ ref('marketing_spend') }}
    group by channel

),

data_driven_credit as (

    select
        attribution_model,
        case when channel = '(no touch)' then '(no marketing touch)' else channel end as channel,
        {{ exact_sum('attributed_conversions') }} filter (where conversion_type = 'pipeline')
            as opportunities,
        sum(attributed_value) filter (where conversion_type = 'pipeline') as pipeline_amount,
        {{ exact_sum('attributed_conversions') }} filter (where conversion_type = 'bookings')
            as won_deals,
        sum(attributed_value) filter (where conversion_type = 'bookings') as bookings_amount,
        sum(attributed_value) filter (where conversion_type = 'billed_revenue')
            as billed_revenue_amount
    from {{ ref('data_driven_channel_credit') }}
    group by all

),

data_driven_models as (

    select distinct attribution_model from data_driven_credit

),

data_driven_grain as (

    select
        data_driven_models.attribution_model,
        channel_spend.channel
    from data_driven_models
    cross join channel_spend

    union

    select
        attribution_model,
        channel
    from data_driven_credit

),

data_driven as (

    select
        data_driven_grain.attribution_model,
        'data_driven' as model_family,
        data_driven_grain.channel,
        coalesce(channel_spend.spend_amount, 0) as spend_amount,
        cast(null as double) as leads,
        coalesce(data_driven_credit.opportunities, 0) as opportunities,
        coalesce(data_driven_credit.pipeline_amount, 0) as pipeline_amount,
        coalesce(data_driven_credit.won_deals, 0) as won_deals,
        coalesce(data_driven_credit.bookings_amount, 0) as bookings_amount,
        coalesce(data_driven_credit.billed_revenue_amount, 0) as billed_revenue_amount
    from data_driven_grain
    left join channel_spend
        on data_driven_grain.channel = channel_spend.channel
    left join data_driven_credit
        on data_driven_grain.attribution_model = data_driven_credit.attribution_model
        and data_driven_grain.channel = data_driven_credit.channel

),

unioned as (

    select * from rule_based
    union all
    select * from data_driven

),

final as (

    select
        -- ids
        {{ dbt.concat(["unioned.attribution_model", "':'", "unioned.channel"]) }}
            as marketing_return_channel_key,

        -- strings
        unioned.attribution_model,
        unioned.model_family,
        unioned.channel,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        cast(unioned.spend_amount as decimal(18, 2)) as spend_amount,
        cast(unioned.leads as double) as leads,
        cast(unioned.opportunities as double) as opportunities,
        cast(unioned.pipeline_amount as decimal(18, 2)) as pipeline_amount,
        cast(unioned.won_deals as double) as won_deals,
        cast(unioned.bookings_amount as decimal(18, 2)) as bookings_amount,
        cast(unioned.billed_revenue_amount as decimal(18, 2)) as billed_revenue_amount,
        {{ return_ratios('unioned', contract_months) }},
        {{ var('attribution_billed_revenue_window_days', 365) }} as billed_revenue_window_days,

        -- booleans
        unioned.attribution_model = '{{ var("return_attribution_model") }}' as is_default_model

    from unioned

)

select * from final
