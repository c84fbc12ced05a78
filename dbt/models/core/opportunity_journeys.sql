{#- One row per opportunity: its journey's milestones, the days between them, touch counts and
    the ordered channel path. Opportunities without any touch in the window are included with
    zero touches. -#}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

journey as (

    select * from {{ ref('journey_touches') }}

),

lead_milestones as (

    select
        opportunity_id,
        min(first_lead_created_at) as lead_created_at
    from {{ ref('int_opportunity_people_linked') }}
    group by opportunity_id

),

summary as (

    select
        opportunity_id,
        count(*) as touches,
        count(*) filter (where is_marketing_touch) as marketing_touches,
        count(*) filter (where not is_marketing_touch) as sales_touches,
        count(*) filter (where is_marketing_touch and journey_stage = 'before_opportunity')
            as marketing_touches_before_opportunity,
        min(touched_at) as first_touch_at,
        min(touched_at) filter (where is_marketing_touch) as first_marketing_touch_at,
        arg_min(channel, touch_sequence) as first_touch_channel,
        arg_min(channel, touch_sequence) filter (where is_marketing_touch)
            as first_marketing_touch_channel,
        arg_max(channel, touch_sequence) filter (
            where is_marketing_touch and journey_stage = 'before_opportunity'
        ) as last_marketing_touch_channel_before_opportunity,
        string_agg(channel, ' > ' order by touch_sequence) as channel_path,
        string_agg(channel, ' > ' order by touch_sequence) filter (where is_marketing_touch)
            as marketing_channel_path
    from journey
    group by opportunity_id

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.account_id,

        -- strings
        opportunities.outcome,
        opportunities.reporting_currency,
        summary.first_touch_channel,
        summary.first_marketing_touch_channel,
        summary.last_marketing_touch_channel_before_opportunity,
        summary.channel_path,
        summary.marketing_channel_path,

        -- numerics
        opportunities.amount_reporting,
        coalesce(summary.touches, 0) as touches,
        coalesce(summary.marketing_touches, 0) as marketing_touches,
        coalesce(summary.sales_touches, 0) as sales_touches,
        coalesce(summary.marketing_touches_before_opportunity, 0)
            as marketing_touches_before_opportunity,
        {{ dbt.datediff('summary.first_touch_at', 'lead_milestones.lead_created_at', 'day') }}
            as days_first_touch_to_lead,
        {{ dbt.datediff('lead_milestones.lead_created_at', 'opportunities.created_at', 'day') }}
            as days_lead_to_opportunity,
        {{ dbt.datediff('opportunities.created_at', 'opportunities.won_at', 'day') }}
            as days_opportunity_to_won,
        {{ dbt.datediff('summary.first_touch_at', 'opportunities.won_at', 'day') }}
            as days_first_touch_to_won,

        -- booleans
        coalesce(summary.marketing_touches, 0) > 0 as has_marketing_touch,

        -- timestamps
        summary.first_touch_at,
        summary.first_marketing_touch_at,
        lead_milestones.lead_created_at,
        opportunities.created_at as opportunity_created_at,
        opportunities.won_at

    from opportunities
    left join summary
        on opportunities.opportunity_id = summary.opportunity_id
    left join lead_milestones
        on opportunities.opportunity_id = lead_milestones.opportunity_id

)

select * from final
