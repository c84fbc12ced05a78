{#-
    Speed to lead: one row per lead that became an MQL, with the first sales activity after the
    MQL date and the hours it took, against the target `lead_sla_target_hours` (dbt var,
    default 24 calendar hours; no business-hours calendar).

    - Sales activity: a completed CRM task or event (call, email, meeting) by a user whose role
      is not Marketing, on the same person (int_person_records_linked: the lead itself, the
      contact it converted into, or another record of the same person).
    - Activities before the MQL date do not answer the hand-off and are ignored (counted in
      activities_before_mql); an activity at the MQL moment counts as 0 hours.
    - Status: within_sla (followed up within the target), followed_up_late (after it),
      never_followed_up (no activity and the target has passed), awaiting_follow_up (no
      activity yet, target not passed). Breached = followed_up_late or never_followed_up.
    - "Now" is the newest timestamp in the CRM data (as_of_at), so a rebuild of the same data
      gives the same answer.
-#}

{%- set target_hours = var('lead_sla_target_hours', 24) %}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not coalesce(is_deleted, false)

),

links as (

    select * from {{ ref('int_person_records_linked') }}

),

users as (

    select * from {{ ref('stg_crm__users') }}

),

tasks as (

    select * from {{ ref('stg_crm__tasks') }}

),

mql_leads as (

    select
        leads.lead_id,
        links.person_key,
        leads.owner_user_id,
        leads.lead_source,
        leads.mql_at,
        leads.sal_at,
        {{ dbt.dateadd('second', target_hours * 3600, 'leads.mql_at') }} as sla_due_at
    from leads
    inner join links
        on links.record_type = 'lead'
        and leads.lead_id = links.record_id
    where leads.mql_at is not null

),

activities as (

    select
        tasks.activity_id,
        links.person_key,
        tasks.owner_user_id,
        tasks.activity_type,
        tasks.completed_at
    from tasks
    inner join links
        on links.record_type = 'sales_activity'
        and tasks.activity_id = links.record_id
    left join users
        on tasks.owner_user_id = users.user_id
    where not coalesce(tasks.is_deleted, false)
        and coalesce(tasks.activity_status, 'Completed') = 'Completed'
        and tasks.activity_type in ('call', 'email', 'meeting')
        and users.user_role is distinct from 'Marketing'
        and links.person_key is not null

),

as_of as (

    select max(seen_at) as as_of_at
    from (
        select max(updated_at) as seen_at from leads
        union all
        select max(completed_at) as seen_at from tasks
    ) as newest

),

first_activities as (

    select
        mql_leads.lead_id,
        activities.activity_id,
        activities.owner_user_id,
        activities.activity_type,
        activities.completed_at
    from mql_leads
    inner join activities
        on mql_leads.person_key = activities.person_key
        and mql_leads.mql_at <= activities.completed_at
    qualify row_number() over (
            partition by mql_leads.lead_id
            order by activities.completed_at, activities.activity_id
        ) = 1

),

earlier_activities as (

    select
        mql_leads.lead_id,
        count(*) as activities_before_mql
    from mql_leads
    inner join activities
        on mql_leads.person_key = activities.person_key
        and mql_leads.mql_at > activities.completed_at
    group by mql_leads.lead_id

),

timed as (

    select
        mql_leads.*,
        first_activities.activity_id as first_activity_id,
        first_activities.owner_user_id as first_activity_owner_user_id,
        first_activities.activity_type as first_activity_type,
        first_activities.completed_at as first_activity_at,
        {{ dbt.datediff('mql_leads.mql_at', 'first_activities.completed_at', 'second') }}
        / cast(3600 as double) as hours_to_first_activity,
        coalesce(earlier_activities.activities_before_mql, 0) as activities_before_mql,
        as_of.as_of_at
    from mql_leads
    cross join as_of
    left join first_activities
        on mql_leads.lead_id = first_activities.lead_id
    left join earlier_activities
        on mql_leads.lead_id = earlier_activities.lead_id

),

statused as (

    select
        *,
        case
            when first_activity_at is not null and hours_to_first_activity <= {{ target_hours }}
                then 'within_sla'
            when first_activity_at is not null then 'followed_up_late'
            when as_of_at > sla_due_at then 'never_followed_up'
            else 'awaiting_follow_up'
        end as handoff_status
    from timed

),

final as (

    select
        -- ids
        statused.lead_id,
        statused.person_key,
        statused.owner_user_id,
        statused.first_activity_id,
        statused.first_activity_owner_user_id,

        -- strings
        coalesce(owners.user_name, statused.owner_user_id, '(no owner)') as owner_name,
        owners.user_role as owner_role,
        coalesce(funnel.first_touch_channel, '(no marketing touch)') as channel,
        coalesce(statused.lead_source, '(none)') as lead_source,
        statused.first_activity_type,
        statused.handoff_status,

        -- numerics
        {{ target_hours }} as sla_target_hours,
        statused.hours_to_first_activity,
        statused.activities_before_mql,

        -- booleans
        statused.first_activity_at is not null as is_followed_up,
        statused.handoff_status in ('followed_up_late', 'never_followed_up') as is_sla_breached,
        statused.handoff_status = 'never_followed_up' as is_never_followed_up,
        statused.handoff_status = 'awaiting_follow_up' as is_awaiting_follow_up,

        -- timestamps
        statused.mql_at,
        statused.sla_due_at,
        statused.first_activity_at,
        statused.sal_at,
        statused.as_of_at

    from statused
    left join users as owners
        on statused.owner_user_id = owners.user_id
    left join {{ ref('funnel_leads') }} as funnel
        on statused.person_key = funnel.person_key

)

select * from final
