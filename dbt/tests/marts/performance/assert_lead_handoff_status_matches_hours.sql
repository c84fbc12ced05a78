{{ config(meta={'dagster': {'ref': {'name': 'lead_handoffs'}}}) }}

-- A hand-off's status follows from its hours and the target: within_sla <=> followed up in at
-- most sla_target_hours, followed_up_late <=> more, never_followed_up / awaiting <=> no
-- activity (after / before the due time); no activity precedes the MQL date. Returns the
-- leads that break a rule.

select
    lead_id,
    handoff_status,
    hours_to_first_activity,
    sla_target_hours
from {{ ref('lead_handoffs') }}
where hours_to_first_activity < 0
    or first_activity_at < mql_at
    or (
        handoff_status = 'within_sla'
        and not coalesce(hours_to_first_activity <= sla_target_hours, false)
    )
    or (
        handoff_status = 'followed_up_late'
        and not coalesce(hours_to_first_activity > sla_target_hours, false)
    )
    or (
        handoff_status in ('never_followed_up', 'awaiting_follow_up')
        and first_activity_at is not null
    )
    or (handoff_status = 'never_followed_up' and as_of_at <= sla_due_at)
    or (handoff_status = 'awaiting_follow_up' and as_of_at > sla_due_at)
    or is_sla_breached <> (handoff_status in ('followed_up_late', 'never_followed_up'))
