{{ config(materialized='table') }}  {#- read by the funnel and the return marts -#}

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
{%- set half_life = var('attribution_half_life_days', 7) %}
{%- set models = attribution_weights(
    ['first', 'lead_creation'],
    {'u_shaped': 'others', 'w_shaped': 'others', 'full_path': 'others'},
) %}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not coalesce(is_deleted, false)

),

links as (

    select * from {{ ref('int_person_records_linked') }}
    where record_type = 'lead'
        and person_key is not null

),

-- the conversion: a person's first lead
lead_people as (

    select
        links.person_key,
        arg_min(leads.lead_id, leads.created_at) as lead_id,
        min(leads.created_at) as lead_created_at
    from leads
    inner join links
        on leads.lead_id = links.record_id
    group by links.person_key

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
        and touches.touched_at <= lead_people.lead_created_at
        and touches.touched_at
            >= {{ dbt.dateadd('day', -lookback, 'lead_people.lead_created_at') }}
    left join campaigns
        on campaigns.source_campaign_key = coalesce(
            touches.ad_campaign_key,
            {{ dbt.concat(["'crm:'", "touches.crm_campaign_id"]) }}
        )

),

roles as (

    select
        *,
        count(*) over lead_window as eligible_touches,
        position = 1 as is_first,
        position = count(*) over lead_window as is_last,
        -- every eligible touch is at or before the lead: the last one created it
        position = count(*) over lead_window as is_lead_creation,
        position = coalesce(
            max(position) filter (where channel <> 'direct') over lead_window,
            count(*) over lead_window
        ) as is_last_non_direct,
        power(
            0.5,
            {{ dbt.datediff('touched_at', 'lead_created_at', 'second') }}
            / (86400.0 * {{ half_life }})
        ) as decay_weight
    from eligible
    window lead_window as (partition by person_key)

),

role_counts as (

    select
        *,
        count(*) filter (where not (is_first or is_lead_creation)) over lead_window as others
    from roles
    window lead_window as (partition by person_key)

),

weighted as (

    {%- for model, weight in models.items() %}
    select
        *,
        '{{ model }}' as attribution_model,
        cast({{ weight }} as double) as raw_weight
    from role_counts
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

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
    where lead_people.person_key not in (select person_key from eligible)
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
    )

)

select * from final
