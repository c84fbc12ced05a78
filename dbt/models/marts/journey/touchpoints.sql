{{
    config(
        materialized='incremental',
        unique_key='touchpoint_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{#-
    One row per marketing or sales touch. Incremental: a run re-processes only the touches whose
    source record, identity (person or account) or channel taxonomy changed since the last run,
    so late-arriving records and later updates (a lead converted, a re-exported record) land
    correctly without rebuilding the whole fact. `dbt build --full-refresh` rebuilds it.
-#}

with

classified as (

    select * from {{ ref('int_touchpoints_classified') }}

),

{% if is_incremental() %}
watermark as (

    select
        max(changed_at) as changed_at,
        max(taxonomy_version) as taxonomy_version
    from {{ this }}

),
{% endif %}

final as (

    select
        -- ids
        classified.touchpoint_id,
        classified.record_type,
        classified.record_id,
        classified.person_key,
        classified.account_id,
        classified.crm_campaign_id,
        classified.ad_campaign_key,

        -- strings
        classified.touch_type,
        classified.touch_category,
        classified.channel,
        classified.sub_channel,
        classified.utm_source,
        classified.utm_medium,
        classified.utm_campaign,
        classified.click_id_type,
        classified.referrer_domain,
        classified.person_match_rule,
        classified.taxonomy_version,

        -- booleans
        classified.touch_category = 'marketing' as is_marketing_touch,

        -- timestamps
        classified.touched_at,
        classified.changed_at

    from classified
    {% if is_incremental() %}
    where classified.changed_at > (select changed_at from watermark)
        or classified.taxonomy_version <> (select taxonomy_version from watermark)
    {% endif %}

)

select * from final
