{#-
    The path table data-driven attribution learns from: one row per conversion type and
    distinct ordered path of marketing channels, with how many journeys on that path converted
    (and their value) and how many did not. Converting journeys are the eligible marketing
    touches of each conversion; non-converting ones are the journeys without a deal
    (non_converting_journeys, their last `journey_lookback_days` like a converting journey's
    window) and, for bookings and billed revenue, the lost deals. Conversions of zero or
    negative value (billed revenue not yet collected, or refunded) are left out. An empty
    path ('') is a conversion without a marketing touch.
-#}

with

conversions as (

    select * from {{ ref('int_conversions_unioned') }}

),

credits as (

    -- one touch row per conversion: the linear model lists every eligible touch once
    select * from {{ ref('attribution_credits') }}
    where attribution_model = 'linear'

),

converting as (

    select
        conversions.conversion_type,
        coalesce(
            {{ ordered_string_agg(
                'credits.channel', ' > ', ['credits.touch_position'],
                where='credits.touchpoint_id is not null'
            ) }},
            ''
        ) as path,
        max(conversions.conversion_amount) as conversion_value
    from conversions
    inner join credits
        on conversions.conversion_id = credits.conversion_id
    -- a won deal nothing was billed for yet is not (yet) a billed-revenue conversion
    where conversions.conversion_amount > 0
    group by conversions.conversion_type, conversions.conversion_id

),

lost as (

    select
        o.opportunity_id,
        coalesce(
            {{ ordered_string_agg(
                'journey.channel', ' > ', ['journey.touch_sequence'],
                where='journey.is_attributed and journey.is_marketing_touch '
                    ~ 'and journey.touched_at <= o.closed_at'
            ) }},
            ''
        ) as path
    from {{ ref('opportunities') }} as o
    left join {{ ref('journey_touches') }} as journey
        on o.opportunity_id = journey.opportunity_id
    where o.outcome = 'lost'
    group by o.opportunity_id

),

never_converted as (

    -- the last lookback window only, like the converting journeys
    select recent_marketing_channel_path as path
    from {{ ref('non_converting_journeys') }}
    where recent_marketing_channel_path is not null

),

-- a journey that never converted is a null path of every conversion type; a lost deal one of
-- bookings and billed revenue (it did become pipeline)
never_converted_types as (

    {{ string_values(['pipeline', 'bookings', 'billed_revenue'], 'conversion_type') }}

),

lost_types as (

    {{ string_values(['bookings', 'billed_revenue'], 'conversion_type') }}

),

nulls as (

    select
        never_converted_types.conversion_type,
        never_converted.path
    from never_converted
    cross join never_converted_types

    union all

    select
        lost_types.conversion_type,
        lost.path
    from lost
    cross join lost_types

),

unioned as (

    select
        conversion_type,
        path,
        1 as conversions,
        conversion_value,
        0 as null_count
    from converting

    union all

    select
        conversion_type,
        path,
        0 as conversions,
        0 as conversion_value,
        1 as null_count
    from nulls

),

final as (

    select
        -- ids
        {{ dbt.concat(["conversion_type", "':'", "path"]) }} as attribution_path_key,

        -- strings
        conversion_type,
        path,

        -- numerics
        sum(conversions) as conversions,
        cast(sum(conversion_value) as decimal(18, 2)) as conversion_value,
        sum(null_count) as null_count,
        case
            when path = '' then 0
            else cast((length(path) - length(replace(path, ' > ', ''))) / 3 as integer) + 1
        end as path_length

    from unioned
    group by conversion_type, path

)

select * from final
