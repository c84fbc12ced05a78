{{ config(materialized='table') }}  {#- read by several marts: computed once per run -#}

{#-
    Every campaign record, from the ad platforms and from the CRM, with the campaign it counts
    as (`campaign_key`) and that campaign's channel. A CRM campaign with the utm_campaign of an
    ad-platform campaign is the CRM's mirror of it: both records are one campaign, keyed by the
    ad campaign (`google_ads:<id>`, ...); other CRM campaigns are campaigns of their own
    (`crm:<id>`). Touches, spend and attribution credit meet on `campaign_key`: map a touch with
    `coalesce(ad_campaign_key, 'crm:' || crm_campaign_id)` = `source_campaign_key`.

    A campaign's channel is the channel most of its marketing touches were classified into (so
    spend and credit land on the same channel); a campaign without touches is classified by the
    channel_taxonomy seed as the touch it would produce: a click on an ad campaign (click id of
    its platform, its UTM source and medium), an email click for a CRM email campaign, event
    attendance for webinars, trade shows and conferences, a campaign response otherwise.
-#}

with

ad_campaigns as (

    select * from {{ ref('int_ad_campaigns_unioned') }}

),

crm_campaigns as (

    select * from {{ ref('stg_crm__campaigns') }}

),

-- a CRM campaign carrying the utm_campaign of an ad-platform campaign mirrors that campaign
crm_mirrors as (

    select
        crm_campaigns.campaign_id,
        min(ad_campaigns.ad_campaign_key) as ad_campaign_key
    from crm_campaigns
    inner join ad_campaigns
        on crm_campaigns.utm_campaign = ad_campaigns.utm_campaign
    group by crm_campaigns.campaign_id

),

records as (

    select
        ad_campaigns.ad_campaign_key as source_campaign_key,
        ad_campaigns.ad_campaign_key as campaign_key,
        'ad_platform' as record_source,
        ad_campaigns.platform,
        ad_campaigns.ad_campaign_id as source_campaign_id,
        ad_campaigns.campaign_name as record_name,
        mirror.campaign_type,
        ad_campaigns.utm_source,
        ad_campaigns.utm_medium,
        ad_campaigns.utm_campaign,
        ad_campaigns.crm_campaign_id,
        ad_campaigns.ad_campaign_key
    from ad_campaigns
    left join crm_campaigns as mirror
        on ad_campaigns.crm_campaign_id = mirror.campaign_id

    union all

    select
        {{ dbt.concat(["'crm:'", "crm_campaigns.campaign_id"]) }} as source_campaign_key,
        coalesce(
            crm_mirrors.ad_campaign_key,
            {{ dbt.concat(["'crm:'", "crm_campaigns.campaign_id"]) }}
        ) as campaign_key,
        'crm' as record_source,
        'crm' as platform,
        crm_campaigns.campaign_id as source_campaign_id,
        crm_campaigns.campaign_name as record_name,
        crm_campaigns.campaign_type,
        cast(null as {{ dbt.type_string() }}) as utm_source,
        cast(null as {{ dbt.type_string() }}) as utm_medium,
        crm_campaigns.utm_campaign,
        crm_campaigns.campaign_id as crm_campaign_id,
        crm_mirrors.ad_campaign_key
    from crm_campaigns
    left join crm_mirrors
        on crm_campaigns.campaign_id = crm_mirrors.campaign_id

),

primary_records as (

    select * from records
    where source_campaign_key = campaign_key

),

-- marketing touches per campaign and channel
touch_channel_counts as (

    select
        records.campaign_key,
        touches.channel,
        touches.sub_channel,
        count(*) as touches
    from {{ ref('int_touchpoints_classified') }} as touches
    inner join records
        on records.source_campaign_key = coalesce(
            touches.ad_campaign_key,
            {{ dbt.concat(["'crm:'", "touches.crm_campaign_id"]) }}
        )
    where touches.touch_category = 'marketing'
    group by records.campaign_key, touches.channel, touches.sub_channel

),

-- the channel most of a campaign's marketing touches were classified into
touch_channels as (

    select *
    from touch_channel_counts
    qualify row_number() over (
            partition by campaign_key
            order by touches desc, channel asc, sub_channel asc
        ) = 1

),

-- campaigns without touches: classified as the touch they would produce
inputs as (

    select
        campaign_key,
        'marketing' as touch_category,
        case
            when record_source = 'ad_platform' then 'ad_click'
            when campaign_type = 'Email' then 'email_click'
            when campaign_type in ('Webinar', 'Trade Show', 'Conference') then 'event_attendance'
            else 'campaign_response'
        end as touch_type,
        case platform
            when 'google_ads' then 'gclid'
            when 'meta_ads' then 'fbclid'
            when 'linkedin_ads' then 'li_fat_id'
        end as click_id_type,
        utm_source,
        utm_medium,
        campaign_type,
        cast(null as {{ dbt.type_string() }}) as referrer_domain
    from primary_records

),

taxonomy_channels as (

    select
        inputs.campaign_key,
        taxonomy.channel,
        taxonomy.sub_channel
    from inputs
    inner join {{ ref('channel_taxonomy') }} as taxonomy
        on inputs.touch_category = taxonomy.touch_category
        and (taxonomy.touch_type is null or inputs.touch_type = taxonomy.touch_type)
        and (taxonomy.click_id_type is null or inputs.click_id_type = taxonomy.click_id_type)
        and (taxonomy.utm_source is null or inputs.utm_source like taxonomy.utm_source)
        and (taxonomy.utm_medium is null or inputs.utm_medium like taxonomy.utm_medium)
        and (taxonomy.campaign_type is null or inputs.campaign_type = taxonomy.campaign_type)
        and (
            taxonomy.referrer_domain is null
            or inputs.referrer_domain like taxonomy.referrer_domain
        )
    qualify row_number() over (partition by inputs.campaign_key order by taxonomy.priority) = 1

),

final as (

    select
        -- ids
        records.source_campaign_key,
        records.campaign_key,
        records.source_campaign_id,
        records.crm_campaign_id,
        records.ad_campaign_key,

        -- strings
        records.record_source,
        records.platform,
        records.record_name,
        primary_records.record_name as campaign_name,
        primary_records.platform as campaign_platform,
        records.campaign_type,
        records.utm_campaign,
        coalesce(touch_channels.channel, taxonomy_channels.channel) as channel,
        coalesce(touch_channels.sub_channel, taxonomy_channels.sub_channel) as sub_channel,
        case
            when touch_channels.channel is not null then 'touches'
            when taxonomy_channels.channel is not null then 'taxonomy'
        end as channel_rule,

        -- booleans
        records.source_campaign_key = records.campaign_key as is_primary_record

    from records
    inner join primary_records
        on records.campaign_key = primary_records.campaign_key
    left join touch_channels
        on records.campaign_key = touch_channels.campaign_key
    left join taxonomy_channels
        on records.campaign_key = taxonomy_channels.campaign_key

)

select * from final
