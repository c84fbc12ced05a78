{#- Google Ads campaigns in the shape shared by the three ad platforms. -#}
{%- set platform = 'google_ads' -%}
{%- set campaign_id = 'cast(campaign_id as ' ~ dbt.type_string() ~ ')' -%}
{#- final_url_suffix is a bare query string (utm_source=...&...): prefix '?' to read it as a URL -#}
{%- set url_suffix = dbt.concat(["'?'", 'final_url_suffix']) -%}

with

source as (

    select * from {{ source('ads', 'google_ads_campaigns') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", campaign_id]) }} as ad_campaign_key,
        {{ campaign_id }} as ad_campaign_id,

        -- strings
        '{{ platform }}' as platform,
        campaign_name,
        lower(campaign_status) as campaign_status,
        lower(advertising_channel_type) as campaign_type,
        lower({{ url_param(url_suffix, 'utm_source') }}) as utm_source,
        lower({{ url_param(url_suffix, 'utm_medium') }}) as utm_medium,
        lower({{ url_param(url_suffix, 'utm_campaign') }}) as utm_campaign,
        upper(trim(customer_currency_code)) as currency,

        -- dates
        start_date,
        end_date,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- no updated-at in the report: the latest load wins
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('ad_campaign_id') }}

)

select * from deduplicated
