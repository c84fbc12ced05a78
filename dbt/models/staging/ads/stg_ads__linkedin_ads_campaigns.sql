{#- LinkedIn adCampaigns in the shape shared by the three ad platforms. -#}
{%- set platform = 'linkedin_ads' -%}
{%- set campaign_id = 'cast(id as ' ~ dbt.type_string() ~ ')' -%}

with

source as (

    select * from {{ source('ads', 'linkedin_ads_campaigns') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", campaign_id]) }} as ad_campaign_key,
        {{ campaign_id }} as ad_campaign_id,

        -- strings
        '{{ platform }}' as platform,
        name as campaign_name,
        lower(status) as campaign_status,
        lower(type) as campaign_type,
        -- LinkedIn stores only utm_campaign; every LinkedIn link is tagged linkedin / paid_social
        'linkedin' as utm_source,
        'paid_social' as utm_medium,
        lower(utm_campaign) as utm_campaign,
        upper(trim(currency)) as currency,

        -- dates (runSchedule start / end are epoch milliseconds)
        cast(
            {{ epoch_to_utc("" ~ json_text('runSchedule', '$.start') ~ "", 'ms') }} as date
        ) as start_date,
        cast(
            {{ epoch_to_utc("" ~ json_text('runSchedule', '$.end') ~ "", 'ms') }} as date
        ) as end_date,

        -- timestamps (for de-duplication only, dropped below)
        {{ epoch_to_utc('lastModified', 'ms') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- the newest lastModified wins (then the latest load); updated_at is not part of the
    -- cross-platform shape (Google has no such field), so it is dropped
    select {{ all_columns_except(['updated_at', '_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('ad_campaign_id', 'updated_at') }}

)

select * from deduplicated
