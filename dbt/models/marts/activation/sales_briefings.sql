{#-
    What sales needs to know before a call, one row per open opportunity (briefing_type
    'open_opportunity') and per account surging in the as-of week (briefing_type
    'surging_account'); an account with both has both rows.

    - Sourcing (opportunities only): opportunity_journeys' sourced_by and sourcing channel.
    - First touch: an opportunity's sourcing touch, else the first touch of its journey
      (int_opportunity_touches_summarised); an account's first marketing touch.
    - Last touches: the account's last 3 marketing touches ('YYYY-MM-DD channel (campaign)',
      newest first), a form filled right after an ad click shown once, as its click (the
      journeys' rule); engaged contacts: up to 5 people of the account with a marketing touch in
      the `engagement_active_days` (30) before now, 'First Last (Title)', most recently
      touched first (the email stands in for a missing name).
    - Engagement: the account's row of the as-of week in account_engagement (none: no
      marketing touch in the window).
    - Last sales touch: of the deal's people for an opportunity, of the account's people for an
      account; days_since_last_sales_touch counts whole days to now (as_of_at).
    - briefing: the facts on one line each (newline-separated) for a CRM text field. It shows
      dates, never "days since", and not the score (it decays every night; it has a field of its
      own), so the text changes only when a fact does and is pushed only then.
-#}

{%- set active_days = var('engagement_active_days') %}

with

touches as (

    select * from {{ ref('int_touches_weighted') }}

),

as_of as (

    select max(as_of_at) as as_of_at
    from touches

),

engagement as (

    select * from {{ ref('account_engagement') }}
    where is_current_week

),

accounts as (

    select * from {{ ref('accounts') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

people as (

    select * from {{ ref('people') }}

),

journeys as (

    select * from {{ ref('opportunity_journeys') }}

),

opportunity_touches as (

    select * from {{ ref('int_opportunity_touches_summarised') }}

),

open_opportunities as (

    select * from {{ ref('opportunities') }}
    where not is_closed

),

briefed as (

    select
        'open_opportunity' as briefing_type,
        opportunity_id,
        account_id,
        owner_user_id
    from open_opportunities

    union all

    select
        'surging_account' as briefing_type,
        cast(null as {{ dbt.type_string() }}) as opportunity_id,
        account_id,
        account_owner_user_id as owner_user_id
    from engagement
    where is_surging

),

briefed_accounts as (

    select distinct account_id
    from briefed

),

account_touches as (

    select touches.*
    from touches
    inner join briefed_accounts
        on touches.account_id = briefed_accounts.account_id

),

touch_lines as (

    select
        account_id,
        touchpoint_id,
        channel,
        campaign_name,
        touched_at,
        cast(cast(touched_at as date) as {{ dbt.type_string() }})
        || ' '
        || channel
        || coalesce(' (' || campaign_name || ')', '') as touch_line
    from account_touches
    where is_marketing_touch
        and not is_follow_up_of_ad_click

),

last_touches as (

    select
        account_id,
        {{ dbt.listagg(
            'touch_line', "'; '", 'order by touched_at desc, touchpoint_id desc', 3
        ) }} as last_touches
    from touch_lines
    group by account_id

),

account_first_touches as (

    select
        account_id,
        channel,
        campaign_name,
        touched_at
    from touch_lines
    qualify row_number() over (partition by account_id order by touched_at, touchpoint_id) = 1

),

engaged_people as (

    select
        account_touches.account_id,
        account_touches.person_key,
        max(account_touches.touched_at) as last_touched_at
    from account_touches
    where account_touches.is_marketing_touch
        and account_touches.person_key is not null
        and account_touches.touched_at
        >= {{ dbt.dateadd('day', -active_days, 'account_touches.as_of_at') }}
    group by
        account_touches.account_id,
        account_touches.person_key

),

contact_labels as (

    select
        engaged_people.account_id,
        engaged_people.person_key,
        engaged_people.last_touched_at,
        coalesce(
            nullif(
                trim(coalesce(people.first_name, '') || ' ' || coalesce(people.last_name, '')),
                ''
            ),
            people.email,
            engaged_people.person_key
        )
        || coalesce(' (' || people.title || ')', '') as contact_label
    from engaged_people
    left join people
        on engaged_people.person_key = people.person_key

),

engaged_contacts as (

    select
        account_id,
        {{ dbt.listagg(
            'contact_label', "'; '", 'order by last_touched_at desc, person_key asc', 5
        ) }} as engaged_contacts
    from contact_labels
    group by account_id

),

account_sales_touches as (

    select
        account_id,
        max(touched_at) as last_sales_touch_at
    from account_touches
    where touch_category = 'sales'
    group by account_id

),

facts as (

    select
        briefed.briefing_type,
        briefed.opportunity_id,
        briefed.account_id,
        briefed.owner_user_id,
        journeys.sourced_by,
        journeys.sourcing_channel,
        case
            when briefed.opportunity_id is not null
                then opportunity_touches.first_touch_channel
            else account_first_touches.channel
        end as first_touch_channel,
        case
            when briefed.opportunity_id is not null
                then opportunity_touches.first_touch_campaign_name
            else account_first_touches.campaign_name
        end as first_touch_campaign_name,
        case
            when briefed.opportunity_id is not null then opportunity_touches.first_touch_at
            else account_first_touches.touched_at
        end as first_touch_at,
        last_touches.last_touches,
        engaged_contacts.engaged_contacts,
        engagement.engagement_score,
        coalesce(engagement.is_surging, false) as is_surging,
        engagement.surge_started_on,
        case
            when briefed.opportunity_id is not null then opportunity_touches.last_sales_touch_at
            else account_sales_touches.last_sales_touch_at
        end as last_sales_touch_at,
        as_of.as_of_at
    from briefed
    cross join as_of
    left join journeys
        on briefed.opportunity_id = journeys.opportunity_id
    left join opportunity_touches
        on briefed.opportunity_id = opportunity_touches.opportunity_id
    left join account_first_touches
        on briefed.account_id = account_first_touches.account_id
    left join last_touches
        on briefed.account_id = last_touches.account_id
    left join engaged_contacts
        on briefed.account_id = engaged_contacts.account_id
    left join engagement
        on briefed.account_id = engagement.account_id
    left join account_sales_touches
        on briefed.account_id = account_sales_touches.account_id

),

final as (

    select
        -- ids
        {{ dbt.concat([
            'facts.briefing_type', "':'", 'coalesce(facts.opportunity_id, facts.account_id)'
        ]) }} as briefing_id,
        facts.account_id,
        facts.opportunity_id,
        facts.owner_user_id,

        -- strings
        facts.briefing_type,
        accounts.account_name,
        owners.user_name as owner_name,
        facts.sourced_by,
        facts.sourcing_channel,
        facts.first_touch_channel,
        facts.first_touch_campaign_name,
        facts.last_touches,
        facts.engaged_contacts,
        coalesce(
            'Sourcing: '
            || facts.sourced_by
            || case
                when facts.sourced_by = 'marketing' then ' (' || facts.sourcing_channel || ')'
                else ''
            end
            || chr(10),
            ''
        )
        || 'First touch: '
        || coalesce(
            cast(cast(facts.first_touch_at as date) as {{ dbt.type_string() }})
            || ' '
            || facts.first_touch_channel
            || coalesce(' (' || facts.first_touch_campaign_name || ')', ''),
            'none'
        )
        || chr(10)
        || 'Last touches: '
        || coalesce(facts.last_touches, 'none')
        || chr(10)
        || 'Engaged contacts: '
        || coalesce(facts.engaged_contacts, 'none')
        || chr(10)
        -- (no score line: the score decays every night and is a field of its own; a text
        -- that changed every night would be written to the CRM every night)
        || case
            when facts.is_surging
                then
                    'Surging since '
                    || cast(facts.surge_started_on as {{ dbt.type_string() }})
                    || chr(10)
            else ''
        end
        || 'Last sales touch: '
        || coalesce(
            cast(cast(facts.last_sales_touch_at as date) as {{ dbt.type_string() }}), 'none'
        ) as briefing,

        -- numerics
        facts.engagement_score,
        cast(
            floor(
                {{ dbt.datediff('facts.last_sales_touch_at', 'facts.as_of_at', 'second') }}
                / cast(86400 as double)
            ) as {{ dbt.type_int() }}
        ) as days_since_last_sales_touch,

        -- booleans
        facts.is_surging,

        -- dates
        facts.surge_started_on,

        -- timestamps
        facts.first_touch_at,
        facts.last_sales_touch_at,
        facts.as_of_at

    from facts
    left join accounts
        on facts.account_id = accounts.account_id
    left join users as owners
        on facts.owner_user_id = owners.user_id

)

select * from final
