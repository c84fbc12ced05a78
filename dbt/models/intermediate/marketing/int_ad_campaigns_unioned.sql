{#- The campaigns of every ad platform in one shape, with the CRM campaign that mirrors each one
    (same utm_campaign), so touches and spend can be tied to both. -#}

with

unioned as (

    {% for platform in ['google_ads', 'meta_ads', 'linkedin_ads'] %}
    select
        ad_campaign_key,
        platform,
        ad_campaign_id,
        campaign_name,
        campaign_status,
        campaign_type,
        utm_source,
        utm_medium,
        utm_campaign,
        currency,
        start_date,
        end_date
    from {{ ref('stg_ads__' ~ platform ~ '_campaigns') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

crm_campaigns as (

    select
        utm_campaign,
        min(campaign_id) as crm_campaign_id
    from {{ ref('stg_crm__campaigns') }}
    where utm_campaign is not null
    group by utm_campaign

),

final as (

    select
        unioned.*,
        crm_campaigns.crm_campaign_id
    from unioned
    left join crm_campaigns
        on unioned.utm_campaign = crm_campaigns.utm_campaign

)

select * from final
