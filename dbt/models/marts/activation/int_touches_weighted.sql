{{ config(materialized='view', schema='intermediate') }}

{#-
    Every touch of marts.touchpoints with what the activation models need beside it: its
    campaign's name, its engagement weight and "now".

    - Weight: a marketing touch counts the weight of its touch type in the dbt var
      `engagement_touch_weights` (default form_submission 10, event_attendance 8, ad_click 3,
      email_click 2); any other marketing touch type counts 1; sales touches have none.
    - Campaign: the campaign the touch counts for (int_campaigns_unified: the ad campaign, else
      the CRM campaign), by its primary record's name.
    - A form submission that followed an ad click (is_follow_up_of_ad_click) keeps its own row
      and weight here: the click and the form are two signals of interest.
    - "Now" (as_of_at) is the newest touch in marts.touchpoints, so a rebuild of the same data
      gives the same answer.
-#}

{%- set weights = var('engagement_touch_weights') %}

with

touchpoints as (

    select * from {{ ref('touchpoints') }}

),

campaigns as (

    select
        source_campaign_key,
        campaign_key,
        campaign_name
    from {{ ref('int_campaigns_unified') }}

),

as_of as (

    select max(touched_at) as as_of_at
    from touchpoints

),

final as (

    select
        -- ids
        touchpoints.touchpoint_id,
        touchpoints.person_key,
        touchpoints.account_id,
        touchpoints.crm_campaign_id,
        touchpoints.ad_campaign_key,
        campaigns.campaign_key,

        -- strings
        touchpoints.touch_type,
        touchpoints.touch_category,
        touchpoints.channel,
        touchpoints.sub_channel,
        campaigns.campaign_name,

        -- numerics
        case
            when not touchpoints.is_marketing_touch then null
            {%- for touch_type, weight in weights.items() %}
            when touchpoints.touch_type = '{{ touch_type }}'
                then cast({{ weight }} as {{ dbt.type_float() }})
            {%- endfor %}
            else cast(1 as {{ dbt.type_float() }})
        end as touch_weight,

        -- booleans
        touchpoints.is_marketing_touch,
        touchpoints.is_follow_up_of_ad_click,

        -- timestamps
        touchpoints.touched_at,
        as_of.as_of_at

    from touchpoints
    cross join as_of
    left join campaigns
        on campaigns.source_campaign_key = coalesce(
            touchpoints.ad_campaign_key,
            {{ dbt.concat(["'crm:'", "touchpoints.crm_campaign_id"]) }}
        )

)

select * from final
