{#- Meta (Facebook/Instagram) campaigns in the shape shared by the three ad platforms. -#}
{%- set platform = 'meta_ads' -%}
{#- url_tags is a bare query string (utm_source=...&...): prefix '?' to read it as a URL -#}
{%- set url_tags = dbt.concat(["'?'", 'url_tags']) -%}

with

source as (

    select * from {{ source('ads', 'meta_ads_campaigns') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", 'id']) }} as ad_campaign_key,
        cast(id as {{ dbt.type_string() }}) as ad_campaign_id,

        -- strings
        '{{ platform }}' as platform,
        name as campaign_name,
        lower(status) as campaign_status,
        lower(objective) as campaign_type,
        lower({{ url_param(url_tags, 'utm_source') }}) as utm_source,
        lower({{ url_param(url_tags, 'utm_medium') }}) as utm_medium,
        lower({{ url_param(url_tags, 'utm_campaign') }}) as utm_campaign,
        upper(trim(account_currency)) as currency,

        -- dates
        cast({{ to_utc('start_time') }} as date) as start_date,
        cast({{ to_utc('stop_time') }} as date) as end_date,

        -- timestamps (for de-duplication only, dropped below)
        {{ to_utc('updated_time') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- the newest updated_time wins (then the latest load); updated_at is not part of the
    -- cross-platform shape (Google has no such field), so it is dropped
    select {{ all_columns_except(['updated_at', '_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('ad_campaign_id', 'updated_at') }}

)

select * from deduplicated
