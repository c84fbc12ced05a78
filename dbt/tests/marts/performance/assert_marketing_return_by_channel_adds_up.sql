{{ config(meta={'dagster': {'ref': {'name': 'marketing_return_by_channel'}}}) }}

-- marketing_return_by_channel adds up: every model holds all the spend; the rule-based models
-- equal their marketing_return totals and the data-driven ones the totals of
-- data_driven_channel_credit (amounts to the cent, conversions within 1e-6). Returns the
-- models and measures that differ.

with

by_channel as (

    select
        attribution_model,
        model_family,
        sum(spend_amount) as spend_amount,
        sum(opportunities) as opportunities,
        sum(pipeline_amount) as pipeline_amount,
        sum(won_deals) as won_deals,
        sum(bookings_amount) as bookings_amount,
        sum(billed_revenue_amount) as billed_revenue_amount
    from {{ ref('marketing_return_by_channel') }}
    group by attribution_model, model_family

),

expected as (

    select
        attribution_model,
        sum(opportunities) as opportunities,
        sum(pipeline_amount) as pipeline_amount,
        sum(won_deals) as won_deals,
        sum(bookings_amount) as bookings_amount,
        sum(billed_revenue_amount) as billed_revenue_amount
    from {{ ref('marketing_return') }}
    group by attribution_model

    union all

    select
        attribution_model,
        sum(attributed_conversions) filter (where conversion_type = 'pipeline') as opportunities,
        sum(attributed_value) filter (where conversion_type = 'pipeline') as pipeline_amount,
        sum(attributed_conversions) filter (where conversion_type = 'bookings') as won_deals,
        sum(attributed_value) filter (where conversion_type = 'bookings') as bookings_amount,
        sum(attributed_value) filter (where conversion_type = 'billed_revenue')
            as billed_revenue_amount
    from {{ ref('data_driven_channel_credit') }}
    group by attribution_model

),

spend as (

    select coalesce(sum(spend_amount_reporting), 0) as spend_amount
    from {{ ref('marketing_spend') }}

)

select
    by_channel.attribution_model,
    by_channel.model_family,
    by_channel.spend_amount,
    spend.spend_amount as expected_spend_amount,
    by_channel.pipeline_amount,
    expected.pipeline_amount as expected_pipeline_amount
from by_channel
cross join spend
left join expected
    on by_channel.attribution_model = expected.attribution_model
where by_channel.spend_amount <> spend.spend_amount
    or expected.attribution_model is null
    or abs(by_channel.opportunities - coalesce(expected.opportunities, 0)) > 1e-6
    or abs(by_channel.won_deals - coalesce(expected.won_deals, 0)) > 1e-6
    or by_channel.pipeline_amount <> cast(coalesce(expected.pipeline_amount, 0) as decimal(18, 2))
    or by_channel.bookings_amount <> cast(coalesce(expected.bookings_amount, 0) as decimal(18, 2))
    or by_channel.billed_revenue_amount
    <> cast(coalesce(expected.billed_revenue_amount, 0) as decimal(18, 2))
