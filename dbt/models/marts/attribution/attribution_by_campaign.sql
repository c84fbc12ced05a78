{#- Credited conversions and amount per conversion type, attribution model and campaign (the
    CRM campaign and, for paid touches, the ad campaign). -#}

with

credits as (

    select * from {{ ref('attribution_credits') }}

),

crm_campaigns as (

    select
        campaign_id,
        campaign_name,
        campaign_type
    from {{ ref('stg_crm__campaigns') }}

),

ad_campaigns as (

    select
        ad_campaign_key,
        platform,
        campaign_name
    from {{ ref('int_ad_campaigns_unioned') }}

),

grouped as (

    select
        conversion_type,
        attribution_model,
        channel,
        crm_campaign_id,
        ad_campaign_key,
        sum(credit_fraction) as credited_conversions,
        sum(credited_amount) as credited_amount,
        count(touchpoint_id) as credited_touches
    from credits
    group by all

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "grouped.conversion_type", "':'", "grouped.attribution_model", "':'",
            "grouped.channel", "':'", "coalesce(grouped.crm_campaign_id, '-')", "':'",
            "coalesce(grouped.ad_campaign_key, '-')"
        ]) }} as attribution_campaign_key,
        grouped.crm_campaign_id,
        grouped.ad_campaign_key,

        -- strings
        grouped.conversion_type,
        grouped.attribution_model,
        grouped.channel,
        crm_campaigns.campaign_name as crm_campaign_name,
        crm_campaigns.campaign_type as crm_campaign_type,
        ad_campaigns.platform as ad_platform,
        ad_campaigns.campaign_name as ad_campaign_name,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        grouped.credited_conversions,
        grouped.credited_amount,
        grouped.credited_touches

    from grouped
    left join crm_campaigns
        on grouped.crm_campaign_id = crm_campaigns.campaign_id
    left join ad_campaigns
        on grouped.ad_campaign_key = ad_campaigns.ad_campaign_key

)

select * from final
