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
        {{ dbt.hash(ordered_string_agg(
            "concat_ws('|', cast(priority as string), touch_category, touch_type, click_id_type, "
            ~ "utm_source, utm_medium, campaign_type, referrer_domain, channel, sub_channel)",
            ';', ['priority'])) }} as taxonomy_version
    from taxonomy

),

campaign_types as (

    select
        campaign_id,
        campaign_type
    from {{ ref('stg_crm__campaigns') }}

),

-- classification depends only on these inputs, which take few distinct values: classify each
-- combination once (a range join over every touch was the slowest step at millions of touches)
inputs as (

    select distinct
        touches.touch_category,
        touches.touch_type,
        touches.click_id_type,
        touches.utm_source,
        touches.utm_medium,
        campaign_types.campaign_type,
        touches.referrer_domain
    from touches
    left join campaign_types
        on touches.crm_campaign_id = campaign_types.campaign_id

),

-- left join: a combination no taxonomy row matches keeps a null channel, which a test reports
classes as (

    select
        inputs.*,
        taxonomy.channel,
        taxonomy.sub_channel,
        taxonomy.priority as taxonomy_priority
    from inputs
    left join taxonomy
        on inputs.touch_category = taxonomy.touch_category
        and (taxonomy.touch_type is null or inputs.touch_type = taxonomy.touch_type)
        and (taxonomy.click_id_type is null or inputs.click_id_type = taxonomy.click_id_type)
        and (taxonomy.utm_source is null or inputs.utm_source like taxonomy.utm_source)
        and (taxonomy.utm_medium is null or inputs.utm_medium like taxonomy.utm_medium)
        and (taxonomy.campaign_type is null or inputs.campaign_type = taxonomy.campaign_type)
        and (
            taxonomy.referrer_domain is null
            or inputs.referrer_domain like taxonomy.referrer_domain
        )
    qualify row_number() over (
            partition by
                inputs.touch_category,
                inputs.touch_type,
                inputs.click_id_type,
                inputs.utm_source,
                inputs.utm_medium,
                inputs.campaign_type,
                inputs.referrer_domain
            order by taxonomy.priority
        ) = 1

),

classified as (

    select
        touches.*,
        classes.channel,
        classes.sub_channel,
        classes.taxonomy_priority
    from touches
    left join campaign_types
        on touches.crm_campaign_id = campaign_types.campaign_id
    inner join classes
        on touches.touch_category is not distinct from classes.touch_category
        and touches.touch_type is not distinct from classes.touch_type
        and touches.click_id_type is not distinct from classes.click_id_type
        and touches.utm_source is not distinct from classes.utm_source
        and touches.utm_medium is not distinct from classes.utm_medium
        and campaign_types.campaign_type is not distinct from classes.campaign_type
        and touches.referrer_domain is not distinct from classes.referrer_domain

),

final as (

    select
        classified.*,
        taxonomy_version.taxonomy_version
    from classified
    cross join taxonomy_version

)

select * from final
