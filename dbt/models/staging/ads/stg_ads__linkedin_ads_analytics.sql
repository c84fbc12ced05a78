{#- LinkedIn adAnalytics (daily, pivoted by campaign), in the shape shared by the three ad
    platforms. The campaign is a URN in pivotValues[0]; the day is a {year, month, day} object. -#}
{%- set platform = 'linkedin_ads' -%}
{%- set campaign_id =
    "nullif(regexp_extract(" ~ json_text('pivotValues', '$[0]') ~ ", '[0-9]+$', 0), '')" -%}
{%- set report_date = "make_date("
    ~ "cast(" ~ json_text('dateRange', '$.start.year') ~ " as integer), "
    ~ "cast(" ~ json_text('dateRange', '$.start.month') ~ " as integer), "
    ~ "cast(" ~ json_text('dateRange', '$.start.day') ~ " as integer))" -%}
{%- set spend = 'cast(costInLocalCurrency as decimal(18, 2))' -%}

with

source as (

    select * from {{ source('ads', 'linkedin_ads_analytics') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            "'" ~ platform ~ "'", "':'", campaign_id, "':'",
            'cast(' ~ report_date ~ ' as ' ~ dbt.type_string() ~ ')',
        ]) }} as ad_campaign_day_key,
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", campaign_id]) }} as ad_campaign_key,
        {{ campaign_id }} as ad_campaign_id,

        -- strings
        '{{ platform }}' as platform,
        -- adAnalytics carries no currency: spend is in the campaign's currency, which the
        -- intermediate layer takes from stg_ads__linkedin_ads_campaigns (not invented here)
        cast(null as {{ dbt.type_string() }}) as currency,

        -- numerics
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        {{ spend }} as spend_amount,
        cast({{ spend }} * 100 as {{ dbt.type_bigint() }}) as spend_amount_minor,

        -- dates
        {{ report_date }} as report_date,
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
