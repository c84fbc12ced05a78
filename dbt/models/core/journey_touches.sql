{#-
    The ordered touches of every opportunity's journey: touches by the opportunity's contacts
    (through contact roles) or anyone at its account, from `journey_lookback_days` (dbt var,
    default 90) before the opportunity was created up to its close (open deals: up to now).
    A form submission that followed an ad click (same click id) is one interaction with the
    click and is represented by the click. Milestone flags mark the first touch and the last
    touch at or before lead creation,
    opportunity creation and closed-won (the touches position-based attribution credits).
-#}

{%- set lookback = var('journey_lookback_days', 90) %}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

-- a form filled right after an ad click is the same interaction: the click represents it
touches as (

    select * from {{ ref('touchpoints') }}
    where not is_follow_up_of_ad_click

),

contact_people as (

    select * from {{ ref('int_opportunity_people_linked') }}

),

-- the lead milestone: the earliest lead of the opportunity's contacts
lead_milestones as (

    select
        opportunity_id,
        min(first_lead_created_at) as lead_created_at
    from contact_people
    group by opportunity_id

),

windows as (

    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.created_at as opportunity_created_at,
        opportunities.won_at,
        lead_milestones.lead_created_at,
        {{ dbt.dateadd('day', -lookback, 'opportunities.created_at') }} as window_start_at,
        case
            when opportunities.is_closed
                then coalesce(
                        opportunities.closed_at,
                        {{ dbt.dateadd('day', 1, 'cast(opportunities.close_date as timestamp)') }}
                    )
        end as window_end_at
    from opportunities
    left join lead_milestones
        on opportunities.opportunity_id = lead_milestones.opportunity_id

),

candidates as (

    select
        windows.*,
        touches.touchpoint_id
    from windows
    inner join touches
        on windows.account_id = touches.account_id

    union

    select
        windows.*,
        touches.touchpoint_id
    from windows
    inner join contact_people
        on windows.opportunity_id = contact_people.opportunity_id
    inner join touches
        on contact_people.person_key = touches.person_key

),

in_window as (

    select
        candidates.opportunity_id,
        candidates.opportunity_created_at,
        candidates.lead_created_at,
        candidates.won_at,
        touches.*
    from candidates
    inner join touches
        on candidates.touchpoint_id = touches.touchpoint_id
    where touches.touched_at >= candidates.window_start_at
        and (candidates.window_end_at is null or touches.touched_at <= candidates.window_end_at)

),

sequenced as (

    select
        *,
        row_number() over (
            partition by opportunity_id order by touched_at, touchpoint_id
        ) as touch_sequence,
        count(*) over (partition by opportunity_id) as journey_touches
    from in_window

),

milestones as (

    -- the last touch at or before each milestone
    select
        opportunity_id,
        max(touch_sequence) filter (where touched_at <= lead_created_at) as lead_touch_sequence,
        max(touch_sequence) filter (where touched_at <= opportunity_created_at)
            as opportunity_touch_sequence,
        max(touch_sequence) filter (where touched_at <= won_at) as won_touch_sequence
    from sequenced
    group by opportunity_id

),

final as (

    select
        -- ids
        {{ dbt.concat(["sequenced.opportunity_id", "':'", "sequenced.touchpoint_id"]) }}
            as journey_touch_id,
        sequenced.opportunity_id,
        sequenced.touchpoint_id,
        sequenced.person_key,
        sequenced.account_id,
        sequenced.crm_campaign_id,
        sequenced.ad_campaign_key,

        -- strings
        sequenced.touch_type,
        sequenced.touch_category,
        sequenced.channel,
        sequenced.sub_channel,
        case
            when sequenced.touched_at < sequenced.opportunity_created_at
                then 'before_opportunity'
            else 'during_opportunity'
        end as journey_stage,

        -- numerics
        sequenced.touch_sequence,
        sequenced.journey_touches,
        {{ dbt.datediff('sequenced.touched_at', 'sequenced.opportunity_created_at', 'day') }}
            as days_before_opportunity,

        -- booleans
        sequenced.is_marketing_touch,
        sequenced.touch_sequence = 1 as is_first_touch,
        sequenced.touch_sequence = milestones.lead_touch_sequence as is_lead_creation_touch,
        sequenced.touch_sequence = milestones.opportunity_touch_sequence
            as is_opportunity_creation_touch,
        sequenced.touch_sequence = milestones.won_touch_sequence as is_closed_won_touch,

        -- timestamps
        sequenced.touched_at

    from sequenced
    inner join milestones
        on sequenced.opportunity_id = milestones.opportunity_id

)

select * from final
