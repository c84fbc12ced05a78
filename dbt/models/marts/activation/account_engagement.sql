{#-
    Account engagement, one row per account and ISO week (week_start, a Monday) in which the
    account has any marketing touch in the `engagement_window_days` (dbt var, 90) before the
    week's measuring point: from the week of its first marketing touch to the as-of week.

    - Measuring point (measured_at): the end of the week (next Monday 00:00), or "now"
      (as_of_at, the newest touch) in the as-of week. A week counts the touches of that week
      and before: a touch at Monday 00:00 (event attendances carry a date only) belongs to the
      week it starts, not to the one that ends then.
    - Score: every marketing touch of the account's people up to the measuring point and
      inside the window counts its weight (int_touches_weighted) halved for every
      `engagement_half_life_days` (14) of age, age = fractional days from the touch to the
      measuring point: weight * 0.5 ^ (age_days / half-life). Rounded to 2 decimals.
    - Baseline: the mean score of the previous `engagement_baseline_weeks` (4) weeks, a week
      without a row counting 0. Surging: score >= `engagement_surge_min_score` (15) and score >=
      `engagement_surge_ratio` (2.0) x baseline; surge_started_on is the first week of the
      current uninterrupted run of surging weeks.
    - Engaged people: distinct people with a marketing touch in the `engagement_active_days`
      (30) before the measuring point, and their titles.
    - Sales: the largest opportunity (amount_reporting, then id) open at the measuring point
      (created at or before it, not closed by then), and the latest sales touch of the
      account's people. Sales is on it with an open opportunity or a sales touch in the
      `engagement_sales_recent_days` (14) before the measuring point.
    - Each touch is spread over the weeks it reaches (its own and the next ones up to the
      window, as integer week indexes, 0 = the as-of week) and aggregated: one pass over the
      touches, no per-week scan (1.2 M touches, 50 x the default sample: 1.75 M rows in
      6 to 8 s on the 2-core machine).
-#}

{%- set half_life = var('engagement_half_life_days') %}
{%- set window_days = var('engagement_window_days') %}
{%- set surge_ratio = var('engagement_surge_ratio') %}
{%- set surge_min_score = var('engagement_surge_min_score') %}
{%- set baseline_weeks = var('engagement_baseline_weeks') %}
{%- set active_days = var('engagement_active_days') %}
{%- set sales_recent_days = var('engagement_sales_recent_days') %}

{#- Weeks from the as-of week (0) back to a touch's week (-1, -2, ...), from the days between
    the two Mondays: dbt-duckdb's datediff(..., 'week') is one week off when the first date is
    the later one (2026-10-26 -> 2026-10-12 gives -3). -#}
{%- set touch_week_index -%}
    cast(
        {{ dbt.datediff('as_of_week_start', 'touch_week_start', 'day') }} / 7
        as {{ dbt.type_int() }}
    )
{%- endset %}

with

touches as (

    select * from {{ ref('int_touches_weighted') }}
    where account_id is not null

),

accounts as (

    select * from {{ ref('accounts') }}

),

people as (

    select * from {{ ref('people') }}

),

opportunities as (

    select * from {{ ref('opportunities') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

as_of as (

    select
        max(as_of_at) as as_of_at,
        cast({{ dbt.date_trunc('week', 'max(as_of_at)') }} as date) as as_of_week_start
    from touches

),

touch_weeks as (

    select
        touches.*,
        as_of.as_of_week_start,
        cast({{ dbt.date_trunc('week', 'touches.touched_at') }} as date) as touch_week_start
    from touches
    cross join as_of

),

marketing_touches as (

    select
        touchpoint_id,
        account_id,
        person_key,
        touch_type,
        channel,
        campaign_name,
        touch_weight,
        touched_at,
        {{ touch_week_index }} as touch_week_index,
        {{ dbt.datediff('touched_at', 'as_of_at', 'second') }}
        / cast(86400 as double) as age_at_as_of_days,
        {{ dbt.datediff(
            'touched_at',
            dbt.dateadd('day', 7, 'cast(touch_week_start as timestamp)'),
            'second'
        ) }} / cast(86400 as double) as age_at_week_end_days
    from touch_weeks
    where is_marketing_touch

),

sales_weeks as (

    select
        account_id,
        {{ touch_week_index }} as week_index,
        max(touched_at) as last_sales_activity_at
    from touch_weeks
    where touch_category = 'sales'
    group by
        account_id,
        {{ touch_week_index }}

),

-- 0, 1, 2, ...: how many weeks after its own week a touch can still be inside the window
week_offsets as (

    select generated_number - 1 as week_offset
    from ({{ dbt.generate_series(window_days // 7 + 2) }}) as series

),

-- a touch in every week it reaches; its age at the week's measuring point (the week's end, or
-- now in the as-of week) by arithmetic, not per-row date functions
spread_touches as (

    select
        marketing_touches.account_id,
        marketing_touches.person_key,
        marketing_touches.touch_weight,
        marketing_touches.touched_at,
        week_offsets.week_offset,
        marketing_touches.touch_week_index + week_offsets.week_offset as week_index,
        case
            when marketing_touches.touch_week_index + week_offsets.week_offset = 0
                then marketing_touches.age_at_as_of_days
            else marketing_touches.age_at_week_end_days + 7 * week_offsets.week_offset
        end as age_days
    from marketing_touches
    cross join week_offsets
    where marketing_touches.touch_week_index + week_offsets.week_offset <= 0

),

window_touches as (

    select * from spread_touches
    where age_days <= {{ window_days }}

),

weekly as (

    select
        account_id,
        week_index,
        sum(touch_weight * power(0.5, age_days / {{ half_life }})) as raw_score,
        count(case when week_offset = 0 then 1 end) as touches_in_week,
        max(touched_at) as last_touch_at
    from window_touches
    group by
        account_id,
        week_index

),

-- distinct first, then counted: a count(distinct) in the weekly aggregate took it 4 x longer
engaged_people as (

    select distinct
        account_id,
        week_index,
        person_key
    from window_touches
    where age_days <= {{ active_days }}
        and person_key is not null

),

engaged_title_groups as (

    select
        engaged_people.account_id,
        engaged_people.week_index,
        people.title,
        count(*) as engaged_people
    from engaged_people
    left join people
        on engaged_people.person_key = people.person_key
    group by
        engaged_people.account_id,
        engaged_people.week_index,
        people.title

),

-- string_agg skips the people without a title (null) but counts them
engaged as (

    select
        account_id,
        week_index,
        sum(engaged_people) as engaged_people,
        {{ dbt.listagg('title', "', '", 'order by title') }} as engaged_titles
    from engaged_title_groups
    group by
        account_id,
        week_index

),

-- one touch per account and moment (the highest id), for the week's latest touch
latest_touches as (

    select
        account_id,
        touch_type,
        channel,
        campaign_name,
        touched_at
    from marketing_touches
    qualify row_number() over (
            partition by account_id, touched_at
            order by touchpoint_id desc
        ) = 1

),

dated_weeks as (

    select
        weekly.*,
        cast(
            {{ dbt.dateadd('day', '7 * weekly.week_index', 'as_of.as_of_week_start') }} as date
        ) as week_start,
        case
            when weekly.week_index = 0 then as_of.as_of_at
            else
                {{ dbt.dateadd(
                    'day',
                    '7 * (weekly.week_index + 1)',
                    'cast(as_of.as_of_week_start as timestamp)'
                ) }}
        end as measured_at
    from weekly
    cross join as_of

),

open_opportunities as (

    select
        dated_weeks.account_id,
        dated_weeks.week_index,
        opportunities.opportunity_id,
        opportunities.owner_user_id
    from dated_weeks
    inner join opportunities
        on dated_weeks.account_id = opportunities.account_id
        and dated_weeks.measured_at >= opportunities.created_at
        and (not opportunities.is_closed or dated_weeks.measured_at < opportunities.closed_at)
    qualify row_number() over (
            partition by dated_weeks.account_id, dated_weeks.week_index
            order by
                opportunities.amount_reporting desc nulls last,
                opportunities.opportunity_id asc
        ) = 1

),

-- the weeks with a marketing touch in the window, and those with a sales touch: one ordered
-- pass per account gives the baseline (previous weeks, missing ones 0) and the latest sales
-- touch so far (every sales touch of a week or before is at or before its measuring point)
week_facts as (

    select
        coalesce(dated_weeks.account_id, sales_weeks.account_id) as account_id,
        coalesce(dated_weeks.week_index, sales_weeks.week_index) as week_index,
        dated_weeks.week_start,
        dated_weeks.measured_at,
        {{ round_double('dated_weeks.raw_score', 2) }} as engagement_score,
        dated_weeks.touches_in_week,
        dated_weeks.last_touch_at,
        sales_weeks.last_sales_activity_at as last_sales_activity_in_week
    from dated_weeks
    full outer join sales_weeks
        on dated_weeks.account_id = sales_weeks.account_id
        and dated_weeks.week_index = sales_weeks.week_index

),

baselined as (

    select
        *,
        {{ round_double(
            'coalesce(sum(engagement_score) over (partition by account_id order by week_index '
            ~ 'range between ' ~ baseline_weeks ~ ' preceding and 1 preceding), 0) / '
            ~ baseline_weeks,
            2
        ) }} as baseline_score,
        max(last_sales_activity_in_week) over (
            partition by account_id
            order by week_index
            rows between unbounded preceding and current row
        ) as last_sales_activity_at
    from week_facts

),

surged as (

    select
        *,
        engagement_score >= {{ surge_min_score }}
        and engagement_score >= {{ surge_ratio }} * baseline_score as is_surging
    from baselined
    -- the weeks with a sales touch only are no rows of their own
    where week_start is not null

),

-- consecutive surging weeks share week_index - their rank among the account's surging weeks
surge_runs as (

    select
        account_id,
        week_index,
        week_start,
        week_index
        - row_number() over (partition by account_id order by week_index) as surge_run
    from surged
    where is_surging

),

surge_starts as (

    select
        account_id,
        week_index,
        min(week_start) over (partition by account_id, surge_run) as surge_started_on
    from surge_runs

),

final as (

    select
        -- ids
        {{ dbt.concat([
            'surged.account_id', "':'", 'cast(surged.week_start as ' ~ dbt.type_string() ~ ')'
        ]) }} as account_engagement_id,
        surged.account_id,
        open_opportunities.opportunity_id as open_opportunity_id,
        accounts.owner_user_id as account_owner_user_id,

        -- strings
        accounts.account_name,
        engaged.engaged_titles,
        latest_touches.touch_type as last_touch_type,
        latest_touches.channel as last_touch_channel,
        latest_touches.campaign_name as last_touch_campaign_name,
        opportunity_owners.user_name as open_opportunity_owner_name,
        account_owners.user_name as account_owner_name,

        -- numerics
        surged.engagement_score,
        surged.touches_in_week,
        coalesce(engaged.engaged_people, 0) as engaged_people,
        surged.baseline_score,

        -- booleans
        surged.is_surging,
        open_opportunities.opportunity_id is not null as has_open_opportunity,
        open_opportunities.opportunity_id is not null
        or coalesce(
            surged.last_sales_activity_at
            >= {{ dbt.dateadd('day', -sales_recent_days, 'surged.measured_at') }},
            false
        ) as is_sales_on_it,
        surged.week_index = 0 as is_current_week,

        -- dates
        surged.week_start,
        surge_starts.surge_started_on,

        -- timestamps
        surged.measured_at,
        surged.last_touch_at,
        surged.last_sales_activity_at

    from surged
    left join accounts
        on surged.account_id = accounts.account_id
    left join users as account_owners
        on accounts.owner_user_id = account_owners.user_id
    left join engaged
        on surged.account_id = engaged.account_id
        and surged.week_index = engaged.week_index
    left join latest_touches
        on surged.account_id = latest_touches.account_id
        and surged.last_touch_at = latest_touches.touched_at
    left join open_opportunities
        on surged.account_id = open_opportunities.account_id
        and surged.week_index = open_opportunities.week_index
    left join users as opportunity_owners
        on open_opportunities.owner_user_id = opportunity_owners.user_id
    left join surge_starts
        on surged.account_id = surge_starts.account_id
        and surged.week_index = surge_starts.week_index

)

select * from final
