{{ config(materialized='table', schema='intermediate') }}  {#- reads core; read by the funnel and
    the return marts -#}

{#-
    Rule-based attribution of leads, so cost per lead can be read under the same model as the
    pipeline and revenue in attribution_credits: one row per person who became a lead x
    eligible touch x model, with the touch's credit fraction (a lead is a count: fractions,
    no amounts).

    The conversion is the creation of the person's first lead (duplicate leads of one person
    count once). Eligible touches are the person's marketing touches from
    `journey_lookback_days` before it up to it (a form filled right after an ad click is the
    click's interaction and counts once, as in journey_touches). The models and weights are
    those of attribution_credits; at a lead only two milestone roles exist, the first touch and
    the lead-creation touch (the last touch at or before the lead), so w_shaped and full_path
    spread the opportunity-creation and closed-won weights pro rata (normalising), exactly as
    attribution_credits does for a role no touch holds. A lead without an eligible touch gets
    one row per model in the '(no marketing touch)' bucket.
-#}

{%- set lookback = var('journey_lookback_days', 90) %}
{%- set lead_roles = ['first', 'lead_creation'] %}
{%- set models = attribution_weights(lead_roles) %}

with

-- the conversion: a person's first lead
lead_people as (

    select
        person_key,
        {{ first_by('lead_id', ['created_at', 'lead_id']) }} as lead_id,
        min(created_at) as lead_created_at
    from {{ ref('int_person_leads_linked') }}
    group by person_key

),

campaigns as (

    select
        source_campaign_key,
        campaign_key
    from {{ ref('int_campaigns_unified') }}

),

eligible as (

    select
        lead_people.person_key,
        lead_people.lead_id,
        lead_people.lead_created_at,
        touches.touchpoint_id,
        touches.touched_at,
        touches.channel,
        touches.sub_channel,
        campaigns.campaign_key,
        row_number() over (
            partition by lead_people.person_key
            order by touches.touched_at, touches.touchpoint_id
        ) as position
    from lead_people
    inner join {{ ref('touchpoints') }} as touches
        on lead_people.person_key = touches.person_key
        and touches.is_marketing_touch
        and not touches.is_follow_up_of_ad_click
        and lead_people.lead_created_at >= touches.touched_at
        and touches.touched_at
        >= {{ dbt.dateadd('day', -lookback, 'lead_people.lead_created_at') }}
    left join campaigns
        on campaigns.source_campaign_key = coalesce(
            touches.ad_campaign_key,
            {{ dbt.concat(["'crm:'", "touches.crm_campaign_id"]) }}
        )

),

-- every eligible touch is at or before the lead: the last one is the lead-creation touch
{{ attribution_weighted_ctes(
    'eligible',
    'person_key',
    {'lead_creation': 'touched_at <= lead_created_at'},
    'lead_created_at',
) }},

touched as (

    select
        person_key,
        lead_id,
        attribution_model,
        touchpoint_id,
        position as touch_position,
        eligible_touches,
        channel,
        sub_channel,
        campaign_key,
        raw_weight / sum(raw_weight) over (partition by person_key, attribution_model)
            as credit_fraction,
        touched_at,
        lead_created_at
    from weighted

),

untouched as (

    {%- for model in models %}
    select
        lead_people.person_key,
        lead_people.lead_id,
        '{{ model }}' as attribution_model,
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        cast(null as {{ dbt.type_bigint() }}) as touch_position,
        0 as eligible_touches,
        '(no marketing touch)' as channel,
        '(no marketing touch)' as sub_channel,
        cast(null as {{ dbt.type_string() }}) as campaign_key,
        1.0 as credit_fraction,
        cast(null as timestamp) as touched_at,
        lead_people.lead_created_at
    from lead_people
    where lead_people.person_key not in (select eligible.person_key from eligible)
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "person_key", "':'", "attribution_model", "':'",
            "coalesce(touchpoint_id, '(no marketing touch)')"
        ]) }} as lead_credit_id,
        person_key,
        lead_id,
        touchpoint_id,
        campaign_key,

        -- strings
        attribution_model,
        channel,
        sub_channel,

        -- numerics
        touch_position,
        eligible_touches,
        cast(credit_fraction as double) as credit_fraction,

        -- timestamps
        touched_at,
        lead_created_at

    from (
        select * from touched
        union all
        select * from untouched
    ) as credited

)

select * from final
