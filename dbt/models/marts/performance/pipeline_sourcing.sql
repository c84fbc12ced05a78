{#-
    Sourced versus influenced pipeline per month of opportunity creation, in the reporting
    currency, from the sourcing of opportunity_journeys (defined there once):
    - marketing-sourced: the lead the deal came from was created by a marketing touch;
    - sales-sourced: every other opportunity, so marketing-sourced + sales-sourced = all
      pipeline;
    - marketing-influenced: any marketing touch of the deal's people in the journey (before or
      during the deal), which includes every marketing-sourced opportunity.
-#}

with

opportunities as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'opportunity_created_at') }} as date) as pipeline_month
    from {{ ref('opportunity_journeys') }}

),

final as (

    select
        -- dates
        pipeline_month,

        -- strings
        min(reporting_currency) as reporting_currency,

        -- numerics
        count(*) as opportunities,
        cast(sum(amount_reporting) as decimal(18, 2)) as pipeline_amount,
        count(*) filter (where is_marketing_sourced) as marketing_sourced_opportunities,
        cast(
            coalesce(sum(amount_reporting) filter (where is_marketing_sourced), 0)
            as decimal(18, 2)
        ) as marketing_sourced_amount,
        count(*) filter (where not is_marketing_sourced) as sales_sourced_opportunities,
        cast(
            coalesce(sum(amount_reporting) filter (where not is_marketing_sourced), 0)
            as decimal(18, 2)
        ) as sales_sourced_amount,
        count(*) filter (where is_marketing_influenced) as marketing_influenced_opportunities,
        cast(
            coalesce(sum(amount_reporting) filter (where is_marketing_influenced), 0)
            as decimal(18, 2)
        ) as marketing_influenced_amount,
        cast(coalesce(sum(amount_reporting) filter (where is_marketing_sourced), 0) as double)
        / nullif(sum(amount_reporting), 0) as marketing_sourced_share,
        cast(coalesce(sum(amount_reporting) filter (where is_marketing_influenced), 0) as double)
        / nullif(sum(amount_reporting), 0) as marketing_influenced_share

    from opportunities
    group by pipeline_month

)

select * from final
