-- For every conversion and model: credit fractions sum to 1 and credited amounts sum to the
-- conversion amount to the cent. Returns the conversions and models that break either rule.
select
    conversion_id,
    attribution_model,
    sum(credit_fraction) as fractions,
    sum(credited_amount) as credited,
    max(conversion_amount) as conversion_amount
from {{ ref('attribution_credits') }}
group by conversion_id, attribution_model
having abs(sum(credit_fraction) - 1) > 1e-9
    or sum(credited_amount) <> max(conversion_amount)
