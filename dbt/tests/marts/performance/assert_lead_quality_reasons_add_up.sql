-- For every channel and campaign, the reason rows of lead_quality add up to its leads and the
-- disqualification reasons to its disqualified leads. Returns the dimension values that don't.

select
    dimension_type,
    dimension_value,
    max(leads) as leads,
    sum(reason_leads) as reason_leads,
    max(disqualified_leads) as disqualified_leads,
    sum(reason_leads) filter (where is_disqualification) as disqualified_reason_leads
from {{ ref('lead_quality') }}
group by dimension_type, dimension_value
having sum(reason_leads) <> max(leads)
    or coalesce(sum(reason_leads) filter (where is_disqualification), 0)
    <> max(disqualified_leads)
