{{ config(meta={'dagster': {'ref': {'name': 'marketing_return'}}}) }}

-- Under every model, marketing_return holds all the spend of marketing_spend, every lead of
-- funnel_leads once, and exactly the credit of attribution_credits (fractions within 1e-6,
-- amounts to the cent). Returns the models and measures that differ.

with

returned as (

    select
        attribution_model,
        sum(spend_amount) as spend_amount,
        sum(leads) as leads,
        sum(opportunities) as opportunities,
        sum(pipeline_amount) as pipeline_amount,
        sum(won_deals) as won_deals,
        sum(bookings_amount) as bookings_amount,
        sum(billed_revenue_amount) as billed_revenue_amount
    from {{ ref('marketing_return') }}
    group by attribution_model

),

credited as (

    select
        attribution_model,
        sum(credit_fraction) filter (where conversion_type = 'pipeline') as opportunities,
        sum(credited_amount) filter (where conversion_type = 'pipeline') as pipeline_amount,
        sum(credit_fraction) filter (where conversion_type = 'bookings') as won_deals,
        sum(credited_amount) filter (where conversion_type = 'bookings') as bookings_amount,
        sum(credited_amount) filter (where conversion_type = 'billed_revenue')
            as billed_revenue_amount
    from {{ ref('attribution_credits') }}
    group by attribution_model

),

spend as (

    select coalesce(sum(spend_amount_reporting), 0) as spend_amount
    from {{ ref('marketing_spend') }}

),

leads as (

    select count(*) as leads from {{ ref('funnel_leads') }}

)

select
    returned.attribution_model,
    returned.spend_amount,
    spend.spend_amount as expected_spend_amount,
    returned.leads,
    leads.leads as expected_leads,
    returned.pipeline_amount,
    credited.pipeline_amount as expected_pipeline_amount
from returned
cross join spend
cross join leads
left join credited
    on returned.attribution_model = credited.attribution_model
where returned.spend_amount <> spend.spend_amount
    or abs(returned.leads - leads.leads) > 1e-6
    or abs(returned.opportunities - coalesce(credited.opportunities, 0)) > 1e-6
    or abs(returned.won_deals - coalesce(credited.won_deals, 0)) > 1e-6
    or returned.pipeline_amount <> coalesce(credited.pipeline_amount, 0)
    or returned.bookings_amount <> coalesce(credited.bookings_amount, 0)
    or returned.billed_revenue_amount <> coalesce(credited.billed_revenue_amount, 0)
