{#-
    Values written back to the Salesforce Account, one row per CRM account that is not deleted
    (marts.accounts):

    - engagement_score (1 decimal), engaged_people and surge_started_on from the account's row
      of the as-of week in account_engagement (null without a row: no marketing touch in the
      window; engaged_people null when none; surge_started_on null when not surging now);
    - is_call_today: the account is on accounts_to_call;
    - last_marketing_touch_at: the newest marketing touch of the account's people, ever;
    - briefing: the surging-account briefing (sales_briefings), null for other accounts.
-#}

with

accounts as (

    select * from {{ ref('accounts') }}

),

engagement as (

    select * from {{ ref('account_engagement') }}
    where is_current_week

),

calls as (

    select account_id
    from {{ ref('accounts_to_call') }}

),

briefings as (

    select
        account_id,
        briefing
    from {{ ref('sales_briefings') }}
    where briefing_type = 'surging_account'

),

last_marketing_touches as (

    select
        account_id,
        max(touched_at) as last_marketing_touch_at
    from {{ ref('int_touches_weighted') }}
    where is_marketing_touch
        and account_id is not null
    group by account_id

),

final as (

    select
        -- ids
        accounts.account_id,

        -- strings
        briefings.briefing,

        -- numerics
        {{ round_double('engagement.engagement_score', 1) }} as engagement_score,
        nullif(engagement.engaged_people, 0) as engaged_people,

        -- booleans
        calls.account_id is not null as is_call_today,

        -- dates
        engagement.surge_started_on,

        -- timestamps
        last_marketing_touches.last_marketing_touch_at

    from accounts
    left join engagement
        on accounts.account_id = engagement.account_id
    left join calls
        on accounts.account_id = calls.account_id
    left join briefings
        on accounts.account_id = briefings.account_id
    left join last_marketing_touches
        on accounts.account_id = last_marketing_touches.account_id

)

select * from final
