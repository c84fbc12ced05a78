{#- Daily spend of every ad platform (Google Ads, Meta, LinkedIn) in one shape, in the ad
    account's currency. LinkedIn's analytics carry no currency: it is the campaign's
    (stg_ads__linkedin_ads_campaigns through int_ad_campaigns_unioned). Conversion to the
    reporting currency happens per campaign and month in marketing_spend. -#}

{%- set platforms = {
    'google_ads': 'stg_ads__google_ads_campaign_stats',
    'meta_ads': 'stg_ads__meta_ads_insights',
    'linkedin_ads': 'stg_ads__linkedin_ads_analytics',
} %}

with

spend as (

    {% for platform, model in platforms.items() %}
    select
        ad_campaign_day_key,
        ad_campaign_key,
        ad_campaign_id,
        platform,
        currency,
        impressions,
        clicks,
        spend_amount,
        spend_amount_minor,
        report_date
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

campaigns as (

    select
        ad_campaign_key,
        currency
    from {{ ref('int_ad_campaigns_unioned') }}

),

final as (

    select
        -- ids
        spend.ad_campaign_day_key,
        spend.ad_campaign_key,
        spend.ad_campaign_id,

        -- strings
        spend.platform,
        coalesce(spend.currency, campaigns.currency) as currency,

        -- numerics
        spend.impressions,
        spend.clicks,
        spend.spend_amount,
        spend.spend_amount_minor,

        -- dates
        spend.report_date,
        cast({{ dbt.date_trunc('month', 'spend.report_date') }} as date) as spend_month

    from spend
    left join campaigns
        on spend.ad_campaign_key = campaigns.ad_campaign_key

)

select * from final
