{#- One row per opportunity: who sourced it, its journey's milestones, the days between them,
    touch counts and the ordered channel path (journey_touches: the touches of the deal's
    people; counts, paths and milestones read the attributed touches, account influence is
    counted apart). Opportunities without any touch are included with zero touches.

    Sourcing, defined here once (every report and return figure reads these columns):
    - marketing-sourced: the lead the deal came from (int_opportunity_people_linked: the lead
      converted into it, else the earliest earlier lead of a contact) was created by a
      marketing touch, i.e. its person has a marketing touch at or before the creation of
      their first lead;
    - sales-sourced: every other deal (outbound contacts, leads a rep created with no
      marketing touch before);
    - sourcing channel: the channel of that person's first (marketing) touch; '(sales-sourced)'
      for sales-sourced deals. Email to existing leads and sales activities can never source
      a deal: neither happens before a lead exists;
    - marketing-influenced: any attributed marketing touch in the journey. -#}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

journey as (

    select * from {{ ref('journey_touches') }}

),

source_people as (

    select
        opportunity_id,
        person_key as source_person_key,
        source_lead_id,
        source_rule,
        first_lead_created_at as lead_created_at
    from {{ ref('int_opportunity_people_linked') }}
    where is_source_person

),

-- the source person's first marketing touch at or before the lead's creation
sourcing_touches as (

    select
        opportunity_id,
        touchpoint_id,
        touch_type,
        channel,
        sub_channel,
        touched_at
    from journey
    where is_source_person_touch
        and is_marketing_touch
        and touched_at <= lead_created_at
    qualify row_number() over (partition by opportunity_id order by touched_at, touchpoint_id) = 1

),

influence as (

    select
        opportunity_id,
        count(*) as account_influence_touches,
        count(*) filter (where is_marketing_touch) as account_influence_marketing_touches
    from journey
    where is_account_influence
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
        {{ first_by('channel', 'touch_sequence') }} as first_touch_channel,
        {{ first_by('channel', 'touch_sequence') }} filter (where is_marketing_touch)
            as first_marketing_touch_channel,
        {{ last_by('channel', 'touch_sequence') }} filter (
            where is_marketing_touch and journey_stage = 'before_opportunity'
        ) as last_marketing_touch_channel_before_opportunity,
        {{ ordered_string_agg('channel', ' > ', ['touch_sequence']) }} as channel_path,
        {{ ordered_string_agg('channel', ' > ', ['touch_sequence'], where='is_marketing_touch') }}
            as marketing_channel_path
    from journey
    group by opportunity_id

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.account_id,
        source_people.source_person_key,
        source_people.source_lead_id,
        sourcing_touches.touchpoint_id as sourcing_touchpoint_id,

        -- strings
        case when sourcing_touches.touchpoint_id is not null then 'marketing' else 'sales' end
            as sourced_by,
        coalesce(sourcing_touches.channel, '(sales-sourced)') as sourcing_channel,
        sourcing_touches.sub_channel as sourcing_sub_channel,
        sourcing_touches.touch_type as sourcing_touch_type,
        coalesce(source_people.source_rule, '(no lead)') as source_lead_rule,
        opportunities.outcome,
        opportunities.opportunity_type,
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
        coalesce(influence.account_influence_touches, 0) as account_influence_touches,
        coalesce(influence.account_influence_marketing_touches, 0)
            as account_influence_marketing_touches,
        {{ dbt.datediff('summary.first_touch_at', 'source_people.lead_created_at', 'day') }}
            as days_first_touch_to_lead,
        {{ dbt.datediff('source_people.lead_created_at', 'opportunities.created_at', 'day') }}
            as days_lead_to_opportunity,
        {{ dbt.datediff('opportunities.created_at', 'opportunities.won_at', 'day') }}
            as days_opportunity_to_won,
        {{ dbt.datediff('summary.first_touch_at', 'opportunities.won_at', 'day') }}
            as days_first_touch_to_won,
        case
            when opportunities.is_won
                then
                    {{ dbt.datediff('opportunities.created_at', 'opportunities.won_at', 'second') }}
                    / cast(86400 as double)
        end as sales_cycle_days,

        -- booleans
        sourcing_touches.touchpoint_id is not null as is_marketing_sourced,
        coalesce(summary.marketing_touches, 0) > 0 as is_marketing_influenced,
        coalesce(summary.marketing_touches, 0) > 0 as has_marketing_touch,
        opportunities.is_closed,
        opportunities.is_won,

        -- timestamps
        summary.first_touch_at,
        summary.first_marketing_touch_at,
        sourcing_touches.touched_at as sourcing_touched_at,
        source_people.lead_created_at,
        opportunities.created_at as opportunity_created_at,
        opportunities.won_at

    from opportunities
    left join summary
        on opportunities.opportunity_id = summary.opportunity_id
    left join source_people
        on opportunities.opportunity_id = source_people.opportunity_id
    left join sourcing_touches
        on opportunities.opportunity_id = sourcing_touches.opportunity_id
    left join influence
        on opportunities.opportunity_id = influence.opportunity_id

)

select * from final
