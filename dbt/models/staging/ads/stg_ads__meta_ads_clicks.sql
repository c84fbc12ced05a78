{#- Meta click records: one row per fbclid, in the shape shared by the three ad platforms. -#}
{%- set platform = 'meta_ads' -%}

with

source as (

    select * from {{ source('ads', 'meta_ads_clicks') }}

),

renamed as (

    select
        -- ids
        fbclid as click_id,
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", 'campaign_id']) }} as ad_campaign_key,
        cast(campaign_id as {{ dbt.type_string() }}) as ad_campaign_id,
        cast(adset_id as {{ dbt.type_string() }}) as ad_group_id,

        -- strings
        'fbclid' as click_id_type,
        '{{ platform }}' as platform,
        cast(null as {{ dbt.type_string() }}) as keyword,
        landing_page_url,
        lower({{ url_param('landing_page_url', 'utm_source') }}) as utm_source,
        lower({{ url_param('landing_page_url', 'utm_medium') }}) as utm_medium,
        lower({{ url_param('landing_page_url', 'utm_campaign') }}) as utm_campaign,

        -- dates
        cast({{ to_utc('click_time') }} as date) as click_date,

        -- timestamps
        {{ to_utc('click_time') }} as clicked_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- a click re-exported in a later file: the latest load wins
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('click_id') }}

)

select * from deduplicated
