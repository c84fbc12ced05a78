{#-
    Offline conversions for the ad platforms, one row per conversion and platform
    (conversion_key = platform:conversion_type:lead or opportunity id).

    - Conversions: 'qualified_lead', a person's lead reaching SQL (funnel_leads: the person's
      first lead, at their earliest SQL date; no value), and 'won_deal', a won opportunity (at
      won_at, its amount in its own currency).
    - Their people: the lead's person; the deal's people (int_opportunity_people_linked).
    - Platforms and clicks: the latest ad click of those people with the platform's click id
      (google_ads gclid, meta_ads fbclid, linkedin_ads li_fat_id) at or before the conversion
      and inside the platform's window (`ad_conversion_click_window_days`, dbt var: 90 / 28 /
      90 days). Google takes a conversion only with its gclid; Meta and LinkedIn also match on
      the email, so they get a row with a click or an email.
    - Person and email: the clicking person when there is a click, else the deal's source
      person, else its first person (by key) with an email; the email lower-cased and trimmed.
-#}

{%- set windows = var('ad_conversion_click_window_days') %}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

people as (

    select
        person_key,
        lower(trim(email)) as email
    from {{ ref('people') }}

),

conversions as (

    select
        'qualified_lead' as conversion_type,
        lead_id,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        sql_at as occurred_at,
        cast(null as decimal(18, 2)) as value_amount,
        cast(null as {{ dbt.type_string() }}) as currency
    from {{ ref('funnel_leads') }}
    where sql_at is not null

    union all

    select
        'won_deal' as conversion_type,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        opportunity_id,
        won_at as occurred_at,
        cast(amount as decimal(18, 2)) as value_amount,
        currency
    from opportunities
    where is_won
        and won_at is not null

),

conversion_people as (

    select
        conversions.conversion_type,
        conversions.lead_id as conversion_record_id,
        funnel.person_key,
        true as is_source_person
    from conversions
    inner join {{ ref('funnel_leads') }} as funnel
        on conversions.lead_id = funnel.lead_id
    where conversions.conversion_type = 'qualified_lead'

    union all

    select
        conversions.conversion_type,
        conversions.opportunity_id as conversion_record_id,
        deal_people.person_key,
        deal_people.is_source_person
    from conversions
    inner join {{ ref('int_opportunity_people_linked') }} as deal_people
        on conversions.opportunity_id = deal_people.opportunity_id
    where conversions.conversion_type = 'won_deal'

),

platforms as (

    select
        'google_ads' as platform,
        'gclid' as click_id_type,
        {{ windows['google_ads'] }} as click_window_days,
        false as matches_on_email

    union all

    select
        'meta_ads' as platform,
        'fbclid' as click_id_type,
        {{ windows['meta_ads'] }} as click_window_days,
        true as matches_on_email

    union all

    select
        'linkedin_ads' as platform,
        'li_fat_id' as click_id_type,
        {{ windows['linkedin_ads'] }} as click_window_days,
        true as matches_on_email

),

-- for an ad click, the touch's record id is the click id (gclid, fbclid, li_fat_id)
clicks as (

    select
        touchpoint_id,
        record_id as click_id,
        click_id_type,
        person_key,
        ad_campaign_key,
        touched_at as clicked_at
    from {{ ref('touchpoints') }}
    where touch_type = 'ad_click'
        and person_key is not null
        and click_id_type is not null

),

conversion_ids as (

    select
        *,
        coalesce(lead_id, opportunity_id) as conversion_record_id
    from conversions

),

platform_clicks as (

    select
        conversion_ids.conversion_type,
        conversion_ids.conversion_record_id,
        platforms.platform,
        clicks.click_id,
        clicks.click_id_type,
        clicks.person_key,
        clicks.ad_campaign_key,
        clicks.clicked_at
    from conversion_ids
    inner join conversion_people
        on conversion_ids.conversion_type = conversion_people.conversion_type
        and conversion_ids.conversion_record_id = conversion_people.conversion_record_id
    cross join platforms
    inner join clicks
        on conversion_people.person_key = clicks.person_key
        and platforms.click_id_type = clicks.click_id_type
        and conversion_ids.occurred_at >= clicks.clicked_at
        and {{ dbt.dateadd(
            'day', '-1 * platforms.click_window_days', 'conversion_ids.occurred_at'
        ) }} <= clicks.clicked_at
    qualify row_number() over (
            partition by
                conversion_ids.conversion_type,
                conversion_ids.conversion_record_id,
                platforms.platform
            order by clicks.clicked_at desc, clicks.click_id desc
        ) = 1

),

email_people as (

    select
        conversion_people.conversion_type,
        conversion_people.conversion_record_id,
        conversion_people.person_key,
        people.email
    from conversion_people
    inner join people
        on conversion_people.person_key = people.person_key
    where people.email is not null
    qualify row_number() over (
            partition by conversion_people.conversion_type, conversion_people.conversion_record_id
            order by conversion_people.is_source_person desc, conversion_people.person_key asc
        ) = 1

),

matched as (

    select
        conversion_ids.*,
        platforms.platform,
        platform_clicks.click_id,
        platform_clicks.click_id_type,
        platform_clicks.ad_campaign_key,
        platform_clicks.clicked_at,
        coalesce(platform_clicks.person_key, email_people.person_key) as person_key
    from conversion_ids
    cross join platforms
    left join platform_clicks
        on conversion_ids.conversion_type = platform_clicks.conversion_type
        and conversion_ids.conversion_record_id = platform_clicks.conversion_record_id
        and platforms.platform = platform_clicks.platform
    left join email_people
        on conversion_ids.conversion_type = email_people.conversion_type
        and conversion_ids.conversion_record_id = email_people.conversion_record_id
    where platform_clicks.click_id is not null
        or (platforms.matches_on_email and email_people.email is not null)

),

final as (

    select
        -- ids
        {{ dbt.concat([
            'matched.platform', "':'", 'matched.conversion_type', "':'",
            'matched.conversion_record_id'
        ]) }} as conversion_key,
        matched.lead_id,
        matched.opportunity_id,
        matched.person_key,
        matched.click_id,
        matched.ad_campaign_key,

        -- strings
        matched.platform,
        matched.conversion_type,
        matched.click_id_type,
        matched.currency,
        people.email,

        -- numerics
        matched.value_amount,

        -- timestamps
        matched.occurred_at,
        matched.clicked_at

    from matched
    left join people
        on matched.person_key = people.person_key

)

select * from final
