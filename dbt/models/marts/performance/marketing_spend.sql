{#-
    Marketing spend per campaign record and month, in its own currency and in the reporting
    currency (the month's rate of int_exchange_rates_to_reporting, as revenue is converted):
    - ad spend of every platform (Google Ads, Meta, LinkedIn: int_ad_spend_unioned), summed per
      campaign and month in the ad account's currency, then converted and rounded to the cent;
    - CRM campaign actual costs, in the month the campaign started (else was created).
    No double counting: a CRM campaign that mirrors an ad-platform campaign (same utm_campaign)
    is the same campaign, and the platform's spend is its cost; the mirror's CRM actual cost
    counts only if the platform reports no spend at all for that campaign.
    Channel and campaign come from int_campaigns_unified (campaign_key joins the return mart).
-#}

with

ad_spend as (

    select * from {{ ref('int_ad_spend_unioned') }}

),

campaigns as (

    select * from {{ ref('int_campaigns_unified') }}

),

rates as (

    select * from {{ ref('int_exchange_rates_to_reporting') }}

),

ad_months as (

    select
        ad_campaign_key as source_campaign_key,
        'ad_platform' as spend_source,
        platform,
        currency,
        spend_month,
        sum(spend_amount) as spend_amount,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        count(*) as spend_days
    from ad_spend
    group by ad_campaign_key, platform, currency, spend_month

),

campaigns_with_platform_spend as (

    select distinct campaigns.campaign_key
    from ad_months
    inner join campaigns
        on ad_months.source_campaign_key = campaigns.source_campaign_key
    where ad_months.spend_amount <> 0

),

crm_costs as (

    select
        campaigns.source_campaign_key,
        'crm_actual_cost' as spend_source,
        'crm' as platform,
        crm.actual_cost_currency as currency,
        cast(
            {{ dbt.date_trunc('month', 'coalesce(crm.start_date, cast(crm.created_at as date))') }}
            as date
        ) as spend_month,
        crm.actual_cost_amount as spend_amount,
        cast(null as {{ dbt.type_bigint() }}) as impressions,
        cast(null as {{ dbt.type_bigint() }}) as clicks,
        cast(null as {{ dbt.type_bigint() }}) as spend_days
    from {{ ref('stg_crm__campaigns') }} as crm
    inner join campaigns
        on campaigns.record_source = 'crm'
        and crm.campaign_id = campaigns.source_campaign_id
    where crm.actual_cost_amount is not null
        and crm.actual_cost_amount <> 0
        and campaigns.campaign_key not in (
            select campaigns_with_platform_spend.campaign_key
            from campaigns_with_platform_spend
        )

),

unioned as (

    select * from ad_months
    union all
    select * from crm_costs

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "unioned.source_campaign_key", "':'",
            "cast(unioned.spend_month as " ~ dbt.type_string() ~ ")"
        ]) }} as marketing_spend_key,
        unioned.source_campaign_key,
        coalesce(campaigns.campaign_key, unioned.source_campaign_key) as campaign_key,
        campaigns.crm_campaign_id,
        campaigns.ad_campaign_key,

        -- strings
        unioned.spend_source,
        unioned.platform,
        coalesce(campaigns.campaign_name, unioned.source_campaign_key) as campaign_name,
        campaigns.campaign_type,
        coalesce(campaigns.channel, '(unclassified)') as channel,
        coalesce(campaigns.sub_channel, '(unclassified)') as sub_channel,
        unioned.currency,
        rates.reporting_currency,

        -- numerics
        cast(unioned.spend_amount as decimal(18, 2)) as spend_amount,
        {{ round_money('unioned.spend_amount', 'rates.rate_to_reporting') }}
            as spend_amount_reporting,
        unioned.impressions,
        unioned.clicks,
        unioned.spend_days,

        -- dates
        unioned.spend_month

    from unioned
    -- left join: spend of a campaign missing from the campaign exports is kept (unclassified)
    left join campaigns
        on unioned.source_campaign_key = campaigns.source_campaign_key
    left join rates
        on unioned.currency = rates.currency
        and unioned.spend_month = rates.rate_month

)

select * from final
