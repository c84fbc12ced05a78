{{ config(materialized='table') }}  {#- read by several models and tests: computed once per run -#}

{#-
    Every marketing and sales touch in one shape, before channel classification: ad clicks,
    form submissions, marketing-email clicks, campaign responses and event attendance, and sales
    calls, emails and meetings. Each touch carries what classifies it (UTM values, click id type,
    referrer, CRM campaign type), the campaigns it belongs to, and the person it resolved to.
    Email opens and sends are not touches (the click is); event registrations are form
    submissions and attendance is a separate touch.
-#}

with

crm_campaigns as (

    select * from {{ ref('stg_crm__campaigns') }}

),

crm_campaigns_by_utm as (

    select
        utm_campaign,
        min(campaign_id) as campaign_id
    from crm_campaigns
    where utm_campaign is not null
    group by utm_campaign

),

ad_campaigns as (

    select * from {{ ref('int_ad_campaigns_unioned') }}

),

ad_campaigns_by_utm as (

    select
        utm_campaign,
        min(ad_campaign_key) as ad_campaign_key
    from ad_campaigns
    where utm_campaign is not null
    group by utm_campaign

),

ad_clicks as {{ materialized_cte() }} (

    {% for platform in ['google_ads', 'meta_ads', 'linkedin_ads'] %}
    select
        'ad_click' as record_type,
        click_id as record_id,
        'ad_click' as touch_type,
        'marketing' as touch_category,
        clicked_at as touched_at,
        utm_source,
        utm_medium,
        utm_campaign,
        click_id_type,
        cast(null as string) as referrer_domain,
        ad_campaign_key,
        cast(null as string) as crm_campaign_id,
        cast(null as string) as activity_account_id,
        click_id,
        loaded_at
    from {{ ref('stg_ads__' ~ platform ~ '_clicks') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

forms as (

    select
        'form_submission' as record_type,
        form_submission_id as record_id,
        'form_submission' as touch_type,
        'marketing' as touch_category,
        submitted_at as touched_at,
        utm_source,
        utm_medium,
        utm_campaign,
        click_id_type,
        referrer_domain,
        cast(null as string) as ad_campaign_key,
        cast(null as string) as crm_campaign_id,
        cast(null as string) as activity_account_id,
        click_id,
        loaded_at
    from {{ ref('stg_crm__form_submissions') }}

),

email_clicks as (

    select
        'email_event' as record_type,
        email_event_id as record_id,
        'email_click' as touch_type,
        'marketing' as touch_category,
        occurred_at as touched_at,
        utm_source,
        utm_medium,
        utm_campaign,
        cast(null as string) as click_id_type,
        cast(null as string) as referrer_domain,
        cast(null as string) as ad_campaign_key,
        email_campaign_id as crm_campaign_id,
        cast(null as string) as activity_account_id,
        cast(null as string) as click_id,
        loaded_at
    from {{ ref('stg_crm__email_events') }}
    where event_type = 'click'

),

-- responses to non-email campaigns (email responses are the email clicks above)
campaign_responses as (

    select
        'campaign_member' as record_type,
        members.campaign_member_id as record_id,
        case
            when crm_campaigns.campaign_type in ('Webinar', 'Trade Show', 'Conference')
                then 'event_attendance'
            else 'campaign_response'
        end as touch_type,
        'marketing' as touch_category,
        -- a response date has no time of day: never before the member's own registration
        greatest(
            cast(coalesce(members.first_responded_date, crm_campaigns.start_date) as timestamp),
            members.created_at
        ) as touched_at,
        cast(null as string) as utm_source,
        cast(null as string) as utm_medium,
        crm_campaigns.utm_campaign,
        cast(null as string) as click_id_type,
        cast(null as string) as referrer_domain,
        cast(null as string) as ad_campaign_key,
        members.campaign_id as crm_campaign_id,
        cast(null as string) as activity_account_id,
        cast(null as string) as click_id,
        members.loaded_at
    from {{ ref('stg_crm__campaign_members') }} as members
    inner join crm_campaigns
        on members.campaign_id = crm_campaigns.campaign_id
    where members.has_responded
        and crm_campaigns.campaign_type is distinct from 'Email'

),

opportunity_accounts as (

    select
        opportunity_id,
        account_id
    from {{ ref('stg_crm__opportunities') }}

),

sales_activities as (

    select
        'sales_activity' as record_type,
        tasks.activity_id as record_id,
        'sales_' || tasks.activity_type as touch_type,
        'sales' as touch_category,
        tasks.completed_at as touched_at,
        cast(null as string) as utm_source,
        cast(null as string) as utm_medium,
        cast(null as string) as utm_campaign,
        cast(null as string) as click_id_type,
        cast(null as string) as referrer_domain,
        cast(null as string) as ad_campaign_key,
        cast(null as string) as crm_campaign_id,
        case
            when tasks.what_type = 'account' then tasks.what_id
            else opportunity_accounts.account_id
        end as activity_account_id,
        cast(null as string) as click_id,
        tasks.loaded_at
    from {{ ref('stg_crm__tasks') }} as tasks
    left join opportunity_accounts
        on tasks.what_type = 'opportunity'
        and tasks.what_id = opportunity_accounts.opportunity_id
    where not coalesce(tasks.is_deleted, false)
        and coalesce(tasks.activity_status, 'Completed') = 'Completed'

),

unioned as {{ materialized_cte() }} (

    select * from ad_clicks
    union all
    select * from forms
    union all
    select * from email_clicks
    union all
    select * from campaign_responses
    union all
    select * from sales_activities

),

-- a form filled right after an ad click carries its click id: one interaction, two records
ad_click_ids as (

    select
        click_id,
        min(record_type || ':' || record_id) as click_touchpoint_id
    from ad_clicks
    group by click_id

),

final as (

    select
        -- ids
        {{ dbt.concat(["unioned.record_type", "':'", "unioned.record_id"]) }} as touchpoint_id,
        unioned.record_type,
        unioned.record_id,
        links.person_key,
        coalesce(unioned.activity_account_id, persons.account_id) as account_id,
        coalesce(unioned.crm_campaign_id, crm_campaigns_by_utm.campaign_id) as crm_campaign_id,
        coalesce(unioned.ad_campaign_key, ad_campaigns_by_utm.ad_campaign_key)
            as ad_campaign_key,

        -- strings
        unioned.touch_type,
        unioned.touch_category,
        unioned.utm_source,
        unioned.utm_medium,
        unioned.utm_campaign,
        unioned.click_id_type,
        unioned.referrer_domain,
        links.match_rule as person_match_rule,
        case
            when unioned.record_type = 'form_submission' then ad_click_ids.click_touchpoint_id
        end as same_interaction_as,

        -- timestamps
        unioned.touched_at,
        unioned.loaded_at

    from unioned
    left join {{ ref('int_person_records_linked') }} as links
        on unioned.record_type = links.record_type
        and unioned.record_id = links.record_id
    left join {{ ref('int_persons_resolved') }} as persons
        on links.person_key = persons.person_key
    left join crm_campaigns_by_utm
        on unioned.utm_campaign = crm_campaigns_by_utm.utm_campaign
    left join ad_click_ids
        on unioned.record_type = 'form_submission'
        and unioned.click_id = ad_click_ids.click_id
    left join ad_campaigns_by_utm
        on unioned.utm_campaign = ad_campaigns_by_utm.utm_campaign
        and unioned.touch_category = 'marketing'
        and unioned.click_id_type is not null

)

select * from final
