{#-
    Journeys that did not (yet) produce an opportunity: accounts with touches but no
    opportunity, and identified people without an account who have touches. Data-driven
    attribution compares them with the converting journeys. Anonymous touches (ad clicks no
    form ever identified) belong to no journey.
-#}

with

touches as (

    select * from {{ ref('touchpoints') }}
    where person_key is not null
        or account_id is not null

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
        string_agg(channel, ' > ' order by touched_at, touchpoint_id) as channel_path,
        string_agg(channel, ' > ' order by touched_at, touchpoint_id)
        filter (where is_marketing_touch) as marketing_channel_path,
        string_agg(channel, ' > ' order by touched_at, touchpoint_id)
        filter (where is_marketing_touch and in_last_window) as recent_marketing_channel_path,

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
