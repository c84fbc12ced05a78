{#-
    Journeys that did not (yet) produce an opportunity, for data-driven attribution to compare
    with the converting ones, at the level the deal journeys have (journey_touches):
    - people-based journeys (the default): every identified person with touches who is none of
      any deal's people (int_opportunity_people_linked), one journey each;
    - account-based journeys (dbt var `journey_account_based`): accounts with touches but no
      opportunity, and identified people without an account who have touches.
    Anonymous touches (ad clicks no form ever identified) belong to no journey.
-#}

with

{% if var('journey_account_based', false) %}
touches as (

    select * from {{ ref('touchpoints') }}
    where not is_follow_up_of_ad_click
        and (person_key is not null or account_id is not null)

),

accounts_with_opportunities as (

    select distinct account_id from {{ ref('opportunities') }}

),

keyed as (

    select
        case
            when account_id is not null then 'account:' || account_id
            else 'person:' || person_key
        end as journey_key,
        case when account_id is not null then 'account' else 'person' end as journey_level,
        *
    from touches
    where account_id is null
        or account_id not in (
            select accounts_with_opportunities.account_id from accounts_with_opportunities
        )

),
{% else %}
touches as (

    select * from {{ ref('touchpoints') }}
    where not is_follow_up_of_ad_click
        and person_key is not null

),

deal_people as (

    select distinct person_key from {{ ref('int_opportunity_people_linked') }}

),

keyed as (

    select
        'person:' || touches.person_key as journey_key,
        'person' as journey_level,
        touches.*
    from touches
    left join deal_people
        on touches.person_key = deal_people.person_key
    where deal_people.person_key is null

),
{% endif %}

-- the last window of each journey, as long as a converting journey's lookback, so converting
-- and non-converting paths compare like with like in data-driven attribution
windowed as (

    select
        *,
        touched_at >= {{ dbt.dateadd(
            'day',
            -var('journey_lookback_days', 90),
            'max(touched_at) filter (where is_marketing_touch) over (partition by journey_key)'
        ) }} as in_last_window
    from keyed

),

final as (

    select
        -- ids
        journey_key,
        min(account_id) as account_id,
        case when min(journey_level) = 'person' then min(person_key) end as person_key,

        -- strings
        min(journey_level) as journey_level,
        {{ ordered_string_agg('channel', ' > ', ['touched_at', 'touchpoint_id']) }} as channel_path,
        {{ ordered_string_agg(
            'channel', ' > ', ['touched_at', 'touchpoint_id'], where='is_marketing_touch'
        ) }} as marketing_channel_path,
        {{ ordered_string_agg(
            'channel', ' > ', ['touched_at', 'touchpoint_id'],
            where='is_marketing_touch and in_last_window'
        ) }} as recent_marketing_channel_path,

        -- numerics
        count(*) as touches,
        count(*) filter (where is_marketing_touch) as marketing_touches,
        count(distinct person_key) as people,
        count(distinct channel) as distinct_channels,

        -- timestamps
        min(touched_at) as first_touch_at,
        max(touched_at) as last_touch_at

    from windowed
    group by journey_key

)

select * from final
