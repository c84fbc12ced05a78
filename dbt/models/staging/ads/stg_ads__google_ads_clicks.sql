{#- Google Ads click_view: one row per gclid, in the shape shared by the three ad platforms. -#}
{%- set platform = 'google_ads' -%}
{%- set campaign_id = 'cast(campaign_id as ' ~ dbt.type_string() ~ ')' -%}

with

source as (

    select * from {{ source('ads', 'google_ads_clicks') }}

),

renamed as (

    select
        -- ids
        click_view_gclid as click_id,
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", campaign_id]) }} as ad_campaign_key,
        {{ campaign_id }} as ad_campaign_id,
        cast(ad_group_id as {{ dbt.type_string() }}) as ad_group_id,

        -- strings
        'gclid' as click_id_type,
        '{{ platform }}' as platform,
        keyword_text as keyword,
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

    -- consecutive click exports overlap by one day, so those gclids arrive twice: latest load wins
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('click_id') }}

)

select * from deduplicated
