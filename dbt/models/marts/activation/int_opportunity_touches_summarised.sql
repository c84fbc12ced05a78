{{ config(materialized='view', schema='intermediate') }}

{#-
    One row per opportunity: the touch it came in by and its last sales touch, for the sales
    briefings and the values written back to the Opportunity.

    - First touch: the sourcing touch of a marketing-sourced deal (opportunity_journeys), else
      the first attributed touch of its journey (journey_touches.is_first_touch, which may be a
      sales touch); none for a deal without touches. first_touch is the text the CRM shows:
      'channel · campaign name · YYYY-MM-DD' (the campaign left out when the touch has none), at
      most 255 characters. opportunity_journeys.first_touch_channel is not used: it also reads
      the account-influence touches of other people at the account.
    - Last sales touch: the newest sales touch (touch_category 'sales') of the deal's people
      (int_opportunity_people_linked) up to the close (open deals: up to now, as_of_at).
-#}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

journeys as (

    select * from {{ ref('opportunity_journeys') }}

),

touches as (

    select * from {{ ref('int_touches_weighted') }}

),

as_of as (

    select max(as_of_at) as as_of_at
    from touches

),

journey_first_touches as (

    select
        opportunity_id,
        touchpoint_id
    from {{ ref('journey_touches') }}
    where is_first_touch

),

first_touches as (

    select
        journeys.opportunity_id,
        touches.touchpoint_id,
        touches.channel,
        touches.campaign_name,
        touches.touched_at
    from journeys
    left join journey_first_touches
        on journeys.opportunity_id = journey_first_touches.opportunity_id
    inner join touches
        on coalesce(journeys.sourcing_touchpoint_id, journey_first_touches.touchpoint_id)
        = touches.touchpoint_id

),

last_sales_touches as (

    select
        deal_people.opportunity_id,
        max(touches.touched_at) as last_sales_touch_at
    from {{ ref('int_opportunity_people_linked') }} as deal_people
    inner join opportunities
        on deal_people.opportunity_id = opportunities.opportunity_id
    cross join as_of
    inner join touches
        on deal_people.person_key = touches.person_key
        and touches.touch_category = 'sales'
        and touches.touched_at <= case
            when opportunities.is_closed then opportunities.closed_at else as_of.as_of_at
        end
    group by deal_people.opportunity_id

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.account_id,
        first_touches.touchpoint_id as first_touchpoint_id,

        -- strings
        first_touches.channel as first_touch_channel,
        first_touches.campaign_name as first_touch_campaign_name,
        {{ touch_label('first_touches') }} as first_touch,

        -- timestamps
        first_touches.touched_at as first_touch_at,
        last_sales_touches.last_sales_touch_at,
        as_of.as_of_at

    from opportunities
    cross join as_of
    left join first_touches
        on opportunities.opportunity_id = first_touches.opportunity_id
    left join last_sales_touches
        on opportunities.opportunity_id = last_sales_touches.opportunity_id

)

select * from final
