{#- Meta daily campaign insights, in the shape shared by the three ad platforms. The Graph API
    returns every number as a string; the casts make the types explicit whatever the raw type. -#}
{%- set platform = 'meta_ads' -%}
{%- set spend = 'cast(spend as decimal(18, 2))' -%}

with

source as (

    select * from {{ source('ads', 'meta_ads_insights') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            "'" ~ platform ~ "'", "':'", 'campaign_id', "':'",
            'cast(date_start as ' ~ dbt.type_string() ~ ')',
        ]) }} as ad_campaign_day_key,
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", 'campaign_id']) }} as ad_campaign_key,
        cast(campaign_id as {{ dbt.type_string() }}) as ad_campaign_id,

        -- strings
        '{{ platform }}' as platform,
        upper(trim(account_currency)) as currency,

        -- numerics
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        {{ spend }} as spend_amount,
        cast({{ spend }} * 100 as {{ dbt.type_bigint() }}) as spend_amount_minor,

        -- dates
        cast(date_start as date) as report_date,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- a re-exported day replaces the earlier one: the latest load wins
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('ad_campaign_day_key') }}

)

select * from deduplicated
