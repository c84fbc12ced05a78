-- Every conversion appears under every attribution model (conversions without an eligible
-- touch in the '(no marketing touch)' bucket): nothing vanishes.
{{ config(meta={'dagster': {'ref': {'name': 'attribution_credits'}}}) }}
with

models as (

    select distinct attribution_model from {{ ref('attribution_credits') }}

),

expected as (

    select
        conversions.conversion_id,
        models.attribution_model
    from {{ ref('int_conversions_unioned') }} as conversions
    cross join models

),

actual as (

    select distinct
        conversion_id,
        attribution_model
    from {{ ref('attribution_credits') }}

)

select expected.*
from expected
left join actual
    on expected.conversion_id = actual.conversion_id
    and expected.attribution_model = actual.attribution_model
where actual.conversion_id is null
    or (select count(*) as models from models) <> 8
