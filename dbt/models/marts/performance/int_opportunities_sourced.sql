{{ config(materialized='view', schema='intermediate') }}  {#- reads core: built after it -#}

{#-
    Who sourced every opportunity, from its journey (journey_touches: the touches of its
    contacts and account from `journey_lookback_days` before creation up to close):
    - marketing-sourced: the first touch before the opportunity was created is a marketing
      touch; its channel is the sourcing channel;
    - sales-sourced: the first touch before creation is a sales activity, or nothing touched
      the account or its people before creation (sourcing channel '(sales-sourced)');
    - marketing-influenced: any marketing touch anywhere in the journey (before or during the
      opportunity), so every marketing-sourced opportunity is also influenced.
-#}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

journey as (

    select * from {{ ref('journey_touches') }}

),

first_touches as (

    select
        opportunity_id,
        touchpoint_id,
        touch_type,
        channel,
        sub_channel,
        is_marketing_touch,
        touched_at
    from journey
    where journey_stage = 'before_opportunity'
    qualify row_number() over (partition by opportunity_id order by touch_sequence) = 1

),

touch_counts as (

    select
        opportunity_id,
        count(*) filter (where is_marketing_touch) as marketing_touches,
        count(*) filter (where not is_marketing_touch) as sales_touches
    from journey
    group by opportunity_id

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.account_id,
        first_touches.touchpoint_id as first_touchpoint_id,

        -- strings
        case when first_touches.is_marketing_touch then 'marketing' else 'sales' end
            as sourced_by,
        case
            when first_touches.is_marketing_touch then first_touches.channel
            else '(sales-sourced)'
        end as sourcing_channel,
        case when first_touches.is_marketing_touch then first_touches.sub_channel end
            as sourcing_sub_channel,
        first_touches.touch_type as first_touch_type,
        opportunities.outcome,
        opportunities.opportunity_type,
        opportunities.reporting_currency,

        -- numerics
        opportunities.amount_reporting,
        coalesce(touch_counts.marketing_touches, 0) as marketing_touches,
        coalesce(touch_counts.sales_touches, 0) as sales_touches,
        case
            when opportunities.is_won
                then
                    {{ dbt.datediff('opportunities.created_at', 'opportunities.won_at', 'second') }}
                    / 86400.0
        end as sales_cycle_days,

        -- booleans
        coalesce(first_touches.is_marketing_touch, false) as is_marketing_sourced,
        coalesce(touch_counts.marketing_touches, 0) > 0 as is_marketing_influenced,
        opportunities.is_closed,
        opportunities.is_won,

        -- timestamps
        first_touches.touched_at as first_touch_at,
        opportunities.created_at,
        opportunities.won_at

    from opportunities
    left join first_touches
        on opportunities.opportunity_id = first_touches.opportunity_id
    left join touch_counts
        on opportunities.opportunity_id = touch_counts.opportunity_id

)

select * from final
