-- is_closed / is_won must agree with the stage: attribution and pipeline marts rely on the
-- flags and the stage meaning the same thing. Returns the deals where they disagree.
select
    opportunity_id,
    stage_name,
    is_closed,
    is_won
from {{ ref('stg_crm__opportunities') }}
where
    is_closed <> (stage_name in ('Closed Won', 'Closed Lost'))
    or is_won <> (stage_name = 'Closed Won')
