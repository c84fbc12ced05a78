{#-
    The "call today" list: the accounts surging in the as-of week (account_engagement) that no
    sales touch has answered since the surge began, i.e. with no sales touch of the account's
    people on or after surge_started_on. An open opportunity does not take an account off the
    list: nobody has talked to it since its people started engaging. Ranked by score (then
    account id); the reason says why in one line.
-#}

with

engagement as (

    select * from {{ ref('account_engagement') }}
    where is_current_week
        and is_surging

),

unanswered as (

    select * from engagement
    where last_sales_activity_at is null
        or last_sales_activity_at < cast(surge_started_on as timestamp)

),

final as (

    select
        -- ids
        account_id,
        account_engagement_id,
        account_owner_user_id,
        open_opportunity_id,

        -- strings
        account_name,
        account_owner_name,
        open_opportunity_owner_name,
        engaged_titles,
        last_touch_type,
        last_touch_channel,
        last_touch_campaign_name,
        'engagement '
        || cast(engagement_score as {{ dbt.type_string() }})
        || ' vs baseline '
        || cast(baseline_score as {{ dbt.type_string() }})
        || ', surging since '
        || cast(surge_started_on as {{ dbt.type_string() }})
        || '; '
        || cast(engaged_people as {{ dbt.type_string() }})
        || ' engaged '
        || case when engaged_people = 1 then 'person' else 'people' end
        || '; last touch '
        || last_touch_channel
        || ' ('
        || last_touch_type
        || ') on '
        || cast(cast(last_touch_at as date) as {{ dbt.type_string() }})
        || '; '
        || case
            when last_sales_activity_at is null then 'no sales touch ever'
            else
                'no sales touch since '
                || cast(cast(last_sales_activity_at as date) as {{ dbt.type_string() }})
        end
        || case when has_open_opportunity then '; open opportunity' else '' end
            as call_reason,

        -- numerics
        row_number() over (order by engagement_score desc, account_id asc) as call_rank,
        engagement_score,
        baseline_score,
        touches_in_week,
        engaged_people,

        -- booleans
        has_open_opportunity,
        is_sales_on_it,

        -- dates
        week_start,
        surge_started_on,

        -- timestamps
        measured_at as as_of_at,
        last_touch_at,
        last_sales_activity_at

    from unanswered

)

select * from final
