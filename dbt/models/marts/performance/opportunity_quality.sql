{#-
    Opportunity quality by sourcing channel (opportunity_journeys: the channel of the first
    touch of the person whose lead created the deal, when a marketing touch created that lead;
    else '(sales-sourced)'):
    counts by outcome, win rate (won / closed), average deal size of won deals and of all
    deals, pipeline and bookings in the reporting currency, and the median sales cycle (days
    from creation to the win, won deals only).
-#}

with

opportunities as (

    select * from {{ ref('opportunity_journeys') }}

),

aggregated as (

    select
        sourcing_channel,
        min(sourced_by) as sourced_by,
        min(reporting_currency) as reporting_currency,
        count(*) as opportunities,
        count(*) filter (where outcome = 'open') as open_opportunities,
        count(*) filter (where outcome = 'won') as won_opportunities,
        count(*) filter (where outcome = 'lost') as lost_opportunities,
        sum(amount_reporting) as pipeline_amount,
        coalesce(sum(amount_reporting) filter (where outcome = 'won'), 0) as bookings_amount,
        avg(cast(amount_reporting as double)) as avg_opportunity_amount,
        avg(cast(amount_reporting as double)) filter (where outcome = 'won') as avg_deal_size,
        percentile_cont(0.5) within group (order by sales_cycle_days) as median_sales_cycle_days
    from opportunities
    group by sourcing_channel

),

final as (

    select
        -- ids
        sourcing_channel,

        -- strings
        sourced_by,
        reporting_currency,

        -- numerics
        opportunities,
        open_opportunities,
        won_opportunities,
        lost_opportunities,
        cast(won_opportunities as double)
        / nullif(won_opportunities + lost_opportunities, 0) as win_rate,
        cast(pipeline_amount as decimal(18, 2)) as pipeline_amount,
        cast(bookings_amount as decimal(18, 2)) as bookings_amount,
        -- (averages as doubles on both engines: Spark averages decimals exactly, DuckDB not)
        cast({{ round_double('avg_opportunity_amount', 2) }} as decimal(18, 2))
            as avg_opportunity_amount,
        cast({{ round_double('avg_deal_size', 2) }} as decimal(18, 2)) as avg_deal_size,
        median_sales_cycle_days

    from aggregated

)

select * from final
