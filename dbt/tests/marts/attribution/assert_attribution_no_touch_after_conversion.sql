-- No touch after its conversion gets credit.
select
    attribution_credit_id,
    touched_at,
    converted_at
from {{ ref('attribution_credits') }}
where touched_at > converted_at
