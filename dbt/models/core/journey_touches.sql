{#-
    The ordered touches of every opportunity's journey.

    - The deal's people (int_opportunity_people_linked): the people on its contact roles and
      the person whose converted lead created it (the source person). Their touches, from each
      person's first recorded touch up to the close (open deals: up to now), form the journey.
    - `journey_lookback_days` (dbt var, default 90) bounds only the middle touches: a deal
      person's touch older than that before the opportunity was created stays in the journey
      when it is that person's first touch or a touch of the source person at or before the
      lead creation (the touches the first-touch and lead-creation roles read), and drops out
      otherwise.
    - Touches by other people at the account inside the lookback window up to the close are
      kept and flagged `is_account_influence`. They are left out of sourcing and of the models
      (`is_attributed` false) unless the dbt var `journey_account_based` (default false) turns
      account-based (ABM) journeys on.

    A form submission that followed an ad click (same click id) is one interaction with the
    click and is represented by the click. `touch_sequence` numbers every row of the journey by
    time; the milestone flags mark, among the attributed touches, the first touch, the source
    person's last touch at or before the lead creation, and the last touch at or before
    opportunity creation and closed-won (the touches position-based attribution credits).
-#}

{%- set lookback = var('journey_lookback_days', 90) %}
{%- set account_based = var('journey_account_based', false) %}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

-- a form filled right after an ad click is the same interaction: the click represents it
touches as (

    select * from {{ ref('touchpoints') }}
    where not is_follow_up_of_ad_click

),

deal_people as (

    select * from {{ ref('int_opportunity_people_linked') }}

),

-- the lead milestone: the creation of the source person's first lead
lead_milestones as (

    select
        opportunity_id,
        first_lead_created_at as lead_created_at
    from deal_people
    where is_source_person

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

people_touches as (

    select
        windows.*,
        deal_people.is_source_person,
        touches.touchpoint_id,
        touches.touched_at,
        row_number() over (
            partition by windows.opportunity_id, deal_people.person_key
            order by touches.touched_at, touches.touchpoint_id
        ) = 1 as is_person_first_touch
    from windows
    inner join deal_people
        on windows.opportunity_id = deal_people.opportunity_id
    inner join touches
        on deal_people.person_key = touches.person_key
    where windows.window_end_at is null or touches.touched_at <= windows.window_end_at

),

people_journey as (

    select
        opportunity_id,
        opportunity_created_at,
        lead_created_at,
        won_at,
        touchpoint_id,
        is_source_person,
        false as is_account_influence
    from people_touches
    where touched_at >= window_start_at
        or is_person_first_touch
        or (is_source_person and touched_at <= lead_created_at)

),

colleague_journey as (

    select
        windows.opportunity_id,
        windows.opportunity_created_at,
        windows.lead_created_at,
        windows.won_at,
        touches.touchpoint_id,
        false as is_source_person,
        true as is_account_influence
    from windows
    inner join touches
        on windows.account_id = touches.account_id
    left join deal_people
        on windows.opportunity_id = deal_people.opportunity_id
        and touches.person_key = deal_people.person_key
    where deal_people.person_key is null
        and touches.touched_at >= windows.window_start_at
        and (windows.window_end_at is null or touches.touched_at <= windows.window_end_at)

),

in_journey as (

    select
        journey.opportunity_id,
        journey.opportunity_created_at,
        journey.lead_created_at,
        journey.won_at,
        journey.is_source_person,
        journey.is_account_influence,
        {% if account_based %}true{% else %}not journey.is_account_influence{% endif %}
            as is_attributed,
        touches.*
    from (
        select * from people_journey
        union all
        select * from colleague_journey
    ) as journey
    inner join touches
        on journey.touchpoint_id = touches.touchpoint_id

),

sequenced as (

    select
        *,
        row_number() over (
            partition by opportunity_id order by touched_at, touchpoint_id
        ) as touch_sequence,
        count(*) over (partition by opportunity_id) as journey_touches
    from in_journey

),

milestones as (

    -- among the attributed touches: the first, and the last at or before each milestone
    select
        opportunity_id,
        min(touch_sequence) filter (where is_attributed) as first_touch_sequence,
        max(touch_sequence) filter (
            where is_attributed and is_source_person and touched_at <= lead_created_at
        ) as lead_touch_sequence,
        max(touch_sequence) filter (where is_attributed and touched_at <= opportunity_created_at)
            as opportunity_touch_sequence,
        max(touch_sequence) filter (where is_attributed and touched_at <= won_at)
            as won_touch_sequence
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
        sequenced.is_source_person as is_source_person_touch,
        sequenced.is_account_influence,
        sequenced.is_attributed,
        coalesce(sequenced.touch_sequence = milestones.first_touch_sequence, false)
            as is_first_touch,
        coalesce(sequenced.touch_sequence = milestones.lead_touch_sequence, false)
            as is_lead_creation_touch,
        coalesce(sequenced.touch_sequence = milestones.opportunity_touch_sequence, false)
            as is_opportunity_creation_touch,
        coalesce(sequenced.touch_sequence = milestones.won_touch_sequence, false)
            as is_closed_won_touch,

        -- timestamps
        sequenced.touched_at,
        sequenced.lead_created_at

    from sequenced
    inner join milestones
        on sequenced.opportunity_id = milestones.opportunity_id

)

select * from final
