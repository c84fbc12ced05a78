{#- Google Ads daily performance per campaign, in the shape shared by the three ad platforms. -#}
{%- set platform = 'google_ads' -%}
{%- set campaign_id = 'cast(campaign_id as ' ~ dbt.type_string() ~ ')' -%}
{#- cost in micros (millionths) of the account currency, rounded to whole cents -#}
{#- (micros to cents, half up, in integers: the same on both engines) -#}
{%- set spend_minor = 'cast(floor((metrics_cost_micros + 5000) / cast(10000 as double)) as '
    ~ dbt.type_bigint() ~ ')' -%}

with

source as (

    select * from {{ source('ads', 'google_ads_campaign_stats') }}

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            "'" ~ platform ~ "'", "':'", campaign_id, "':'",
            'cast(segments_date as ' ~ dbt.type_string() ~ ')',
        ]) }} as ad_campaign_day_key,
        {{ dbt.concat(["'" ~ platform ~ "'", "':'", campaign_id]) }} as ad_campaign_key,
        {{ campaign_id }} as ad_campaign_id,

        -- strings
        '{{ platform }}' as platform,
        upper(trim(customer_currency_code)) as currency,

        -- numerics
        -- (minor_to_decimal divides in DOUBLE on DuckDB: cast back to decimal(18, 2))
        metrics_impressions as impressions,
        metrics_clicks as clicks,
        cast({{ minor_to_decimal(spend_minor) }} as decimal(18, 2)) as spend_amount,
        {{ spend_minor }} as spend_amount_minor,

        -- dates
        segments_date as report_date,
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
