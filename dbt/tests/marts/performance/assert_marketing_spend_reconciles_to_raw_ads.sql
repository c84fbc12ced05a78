{{ config(meta={'dagster': {'ref': {'name': 'marketing_spend'}}}) }}

-- Ad spend in marketing_spend equals the raw ad exports to the cent, recomputed here from
-- raw_ads.* without the staging models: the latest export of every campaign-day (newest load,
-- then line), summed per campaign and month in the account's currency (Google: micros; LinkedIn:
-- the campaign's currency), converted with the month's rate from the exchange_rates seed and
-- rounded to the cent. Returns every campaign-month that differs or that one side lacks.

{%- set reporting = var('reporting_currency') %}

with

google as (

    select
        'google_ads:' || cast(campaign_id as string) as ad_campaign_key,
        upper(trim(customer_currency_code)) as currency,
        segments_date as report_date,
        metrics_cost_micros / 1000000.0 as spend
    from {{ source('ads', 'google_ads_campaign_stats') }}
    qualify row_number() over (
            partition by campaign_id, segments_date
            order by _source_seq desc, _source_line desc
        ) = 1

),

meta as (

    select
        'meta_ads:' || cast(campaign_id as string) as ad_campaign_key,
        upper(trim(account_currency)) as currency,
        cast(date_start as date) as report_date,
        cast(spend as decimal(18, 2)) as spend
    from {{ source('ads', 'meta_ads_insights') }}
    qualify row_number() over (
            partition by campaign_id, date_start
            order by _source_seq desc, _source_line desc
        ) = 1

),

linkedin_campaigns as (

    select
        cast(id as string) as campaign_id,
        upper(trim(currency)) as currency
    from {{ source('ads', 'linkedin_ads_campaigns') }}
    qualify row_number() over (
            partition by id
            order by lastModified desc nulls last, _source_seq desc, _source_line desc
        ) = 1

),

linkedin_days as (

    select
        regexp_extract({{ json_text('pivotValues', '$[0]') }}, '[0-9]+$', 0) as campaign_id,
        make_date(
            cast({{ json_text('dateRange', '$.start.year') }} as integer),
            cast({{ json_text('dateRange', '$.start.month') }} as integer),
            cast({{ json_text('dateRange', '$.start.day') }} as integer)
        ) as report_date,
        cast(costInLocalCurrency as decimal(18, 2)) as spend,
        _source_seq,
        _source_line
    from {{ source('ads', 'linkedin_ads_analytics') }}

),

linkedin as (

    select
        'linkedin_ads:' || linkedin_days.campaign_id as ad_campaign_key,
        linkedin_campaigns.currency,
        linkedin_days.report_date,
        linkedin_days.spend
    from linkedin_days
    left join linkedin_campaigns
        on linkedin_days.campaign_id = linkedin_campaigns.campaign_id
    qualify row_number() over (
            partition by linkedin_days.campaign_id, linkedin_days.report_date
            order by linkedin_days._source_seq desc, linkedin_days._source_line desc
        ) = 1

),

raw_months as (

    select
        ad_campaign_key,
        currency,
        cast({{ dbt.date_trunc('month', 'report_date') }} as date) as spend_month,
        sum(spend) as spend
    from (
        select * from google
        union all
        select * from meta
        union all
        select * from linkedin
    ) as days
    group by all

),

rates as (

    select
        rates.currency,
        rates.rate_month,
        rates.usd_per_unit / reporting.usd_per_unit as rate
    from {{ ref('exchange_rates') }} as rates
    inner join {{ ref('exchange_rates') }} as reporting
        on reporting.currency = '{{ reporting }}'
        and rates.rate_month = reporting.rate_month

),

expected as (

    select
        raw_months.ad_campaign_key,
        raw_months.spend_month,
        round(raw_months.spend, 2) as spend_amount,
        round(raw_months.spend * rates.rate, 2) as spend_amount_reporting
    from raw_months
    left join rates
        on raw_months.currency = rates.currency
        and raw_months.spend_month = rates.rate_month

),

actual as (

    select
        source_campaign_key as ad_campaign_key,
        spend_month,
        spend_amount,
        spend_amount_reporting
    from {{ ref('marketing_spend') }}
    where spend_source = 'ad_platform'

)

select
    coalesce(expected.ad_campaign_key, actual.ad_campaign_key) as ad_campaign_key,
    coalesce(expected.spend_month, actual.spend_month) as spend_month,
    expected.spend_amount as raw_amount,
    actual.spend_amount as mart_amount,
    expected.spend_amount_reporting as raw_amount_reporting,
    actual.spend_amount_reporting as mart_amount_reporting
from expected
full outer join actual
    on expected.ad_campaign_key = actual.ad_campaign_key
    and expected.spend_month = actual.spend_month
where expected.spend_amount is distinct from actual.spend_amount
    or expected.spend_amount_reporting is distinct from actual.spend_amount_reporting
