{#- LinkedIn click records: one row per li_fat_id, in the shape shared by the three ad
    platforms. The campaign is a URN; the click time is epoch milliseconds. -#}
{%- set platform = 'linkedin_ads' -%}
{%- set campaign_id = "nullif(regexp_extract(campaign, '[0-9]+$', 0), '')" -%}

with

source as (

    select * from {{ source('ads', 'linkedin_ads_clicks') }}

),

renamed as (

    select
        -- ids
        li_fat_id as click_id,
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", campaign_id]) }} as ad_campaign_key,
        {{ campaign_id }} as ad_campaign_id,
        cast(null as {{ dbt.type_string() }}) as ad_group_id,

        -- strings
        'li_fat_id' as click_id_type,
        '{{ platform }}' as platform,
        cast(null as {{ dbt.type_string() }}) as keyword,
        landingPageUrl as landing_page_url,
        lower({{ url_param('landingPageUrl', 'utm_source') }}) as utm_source,
        lower({{ url_param('landingPageUrl', 'utm_medium') }}) as utm_medium,
        lower({{ url_param('landingPageUrl', 'utm_campaign') }}) as utm_campaign,

        -- dates
        cast({{ epoch_to_utc('clickedAt', 'ms') }} as date) as click_date,

        -- timestamps
        {{ epoch_to_utc('clickedAt', 'ms') }} as clicked_at,
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
