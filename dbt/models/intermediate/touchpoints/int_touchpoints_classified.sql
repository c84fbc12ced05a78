{{ config(materialized='table') }}  {#- read by several models and tests: computed once per run -#}

{#- Each touch gets the channel and sub-channel of the first matching row of the editable
    `channel_taxonomy` seed (by priority); `taxonomy_version` changes whenever the seed does, so
    the incremental touchpoints mart re-classifies everything after an edit. -#}

with

touches as (

    select * from {{ ref('int_touchpoints_unioned') }}

),

taxonomy as (

    select * from {{ ref('channel_taxonomy') }}

),

taxonomy_version as (

    select
        {{ dbt.hash("string_agg(
            concat_ws('|', priority, touch_category, touch_type, click_id_type, utm_source,
                      utm_medium, campaign_type, referrer_domain, channel, sub_channel),
            ';' order by priority)") }} as taxonomy_version
    from taxonomy

),

campaign_types as (

    select
        campaign_id,
        campaign_type
    from {{ ref('stg_crm__campaigns') }}

),

classified as (

    select
        touches.*,
        taxonomy.channel,
        taxonomy.sub_channel,
        taxonomy.priority as taxonomy_priority
    from touches
    left join campaign_types
        on touches.crm_campaign_id = campaign_types.campaign_id
    -- left join: a touch no taxonomy row matches keeps a null channel, which a test reports
    left join taxonomy
        on taxonomy.touch_category = touches.touch_category
        and (taxonomy.touch_type is null or taxonomy.touch_type = touches.touch_type)
        and (taxonomy.click_id_type is null or taxonomy.click_id_type = touches.click_id_type)
        and (taxonomy.utm_source is null or touches.utm_source like taxonomy.utm_source)
        and (taxonomy.utm_medium is null or touches.utm_medium like taxonomy.utm_medium)
        and (taxonomy.campaign_type is null or taxonomy.campaign_type = campaign_types.campaign_type)
        and (taxonomy.referrer_domain is null
            or touches.referrer_domain like taxonomy.referrer_domain)
    qualify row_number() over (partition by touches.touchpoint_id order by taxonomy.priority) = 1

),

final as (

    select
        classified.*,
        taxonomy_version.taxonomy_version
    from classified
    cross join taxonomy_version

)

select * from final
