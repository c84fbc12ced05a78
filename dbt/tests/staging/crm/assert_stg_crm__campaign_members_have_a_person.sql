-- A campaign member is a lead or a contact: a membership naming neither cannot be attributed.
select
    campaign_member_id,
    campaign_id
from {{ ref('stg_crm__campaign_members') }}
where lead_id is null and contact_id is null
