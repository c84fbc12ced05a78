{{ config(materialized='view', schema='intermediate') }}

{#-
    One row per person with a marketing touch: their engagement score now, their first and
    last marketing touch.

    - Score: account_engagement's rule for one person at "now" (as_of_at, the newest touch):
      every marketing touch inside the `engagement_window_days` (90) before now counts its
      weight halved for every `engagement_half_life_days` (14) of age; rounded to 2 decimals,
      0 when no touch is inside the window.
    - First touch: the earliest marketing touch (then touchpoint id), as marts.people picks it;
      first_touch is the text the CRM shows: 'channel · campaign name · YYYY-MM-DD' (the
      campaign left out when the touch has none), at most 255 characters.
-#}

{%- set half_life = var('engagement_half_life_days') %}
{%- set window_days = var('engagement_window_days') %}

with

touches as (

    select * from {{ ref('int_touches_weighted') }}
    where is_marketing_touch
        and person_key is not null

),

aged_touches as (

    select
        *,
        {{ dbt.datediff('touched_at', 'as_of_at', 'second') }}
        / cast(86400 as double) as age_days
    from touches

),

scores as (

    select
        person_key,
        as_of_at,
        sum(
            case
                when age_days <= {{ window_days }}
                    then touch_weight * power(0.5, age_days / {{ half_life }})
                else 0
            end
        ) as raw_score,
        count(*) as marketing_touches,
        max(touched_at) as last_marketing_touch_at
    from aged_touches
    group by
        person_key,
        as_of_at

),

first_touches as (

    select
        person_key,
        touchpoint_id,
        channel,
        campaign_name,
        touched_at
    from touches
    qualify row_number() over (partition by person_key order by touched_at, touchpoint_id) = 1

),

final as (

    select
        -- ids
        scores.person_key,
        first_touches.touchpoint_id as first_touchpoint_id,

        -- strings
        first_touches.channel as first_touch_channel,
        first_touches.campaign_name as first_touch_campaign_name,
        {{ touch_label('first_touches') }} as first_touch,

        -- numerics
        {{ round_double('scores.raw_score', 2) }} as engagement_score,
        scores.marketing_touches,

        -- timestamps
        first_touches.touched_at as first_touch_at,
        scores.last_marketing_touch_at,
        scores.as_of_at

    from scores
    inner join first_touches
        on scores.person_key = first_touches.person_key

)

select * from final
