{#-
    The hand-off SLA per lead owner (rep), per channel (the lead's first-touch channel) and
    overall, from lead_handoffs: MQLs, followed up, never followed up, median and 90th
    percentile hours to the first sales activity (followed-up leads only) and the breach rate.
    The breach rate counts only hand-offs whose outcome is known: MQLs still within their
    target without an activity (awaiting_follow_up) are left out of numerator and denominator.
-#}

with

handoffs as (

    select * from {{ ref('lead_handoffs') }}

),

dimensioned as (

    select
        'overall' as dimension_type,
        '(all)' as dimension_value,
        '(all)' as dimension_label,
        handoffs.*
    from handoffs

    union all

    select
        'rep' as dimension_type,
        coalesce(owner_user_id, '(no owner)') as dimension_value,
        owner_name as dimension_label,
        handoffs.*
    from handoffs

    union all

    select
        'channel' as dimension_type,
        channel as dimension_value,
        channel as dimension_label,
        handoffs.*
    from handoffs

),

aggregated as (

    select
        dimension_type,
        dimension_value,
        min(dimension_label) as dimension_label,
        min(sla_target_hours) as sla_target_hours,
        count(*) as mqls,
        count(*) filter (where is_followed_up) as followed_up,
        count(*) filter (where handoff_status = 'within_sla') as followed_up_within_sla,
        count(*) filter (where handoff_status = 'followed_up_late') as followed_up_late,
        count(*) filter (where is_never_followed_up) as never_followed_up,
        count(*) filter (where is_awaiting_follow_up) as awaiting_follow_up,
        count(*) filter (where is_sla_breached) as breached,
        percentile_cont(0.5) within group (order by hours_to_first_activity)
            as median_hours_to_first_activity,
        percentile_cont(0.9) within group (order by hours_to_first_activity)
            as p90_hours_to_first_activity,
        avg(hours_to_first_activity) as avg_hours_to_first_activity
    from dimensioned
    group by dimension_type, dimension_value

),

final as (

    select
        -- ids
        {{ dbt.concat(["dimension_type", "':'", "dimension_value"]) }} as lead_handoff_sla_key,

        -- strings
        dimension_type,
        dimension_value,
        dimension_label,

        -- numerics
        sla_target_hours,
        mqls,
        followed_up,
        followed_up_within_sla,
        followed_up_late,
        never_followed_up,
        awaiting_follow_up,
        breached,
        median_hours_to_first_activity,
        p90_hours_to_first_activity,
        avg_hours_to_first_activity,
        cast(breached as double) / nullif(mqls - awaiting_follow_up, 0) as breach_rate,
        cast(never_followed_up as double) / nullif(mqls - awaiting_follow_up, 0)
            as never_followed_up_rate,
        cast(followed_up as double) / nullif(mqls, 0) as follow_up_rate

    from aggregated

)

select * from final
