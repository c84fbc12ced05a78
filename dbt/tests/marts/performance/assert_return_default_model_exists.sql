{{ config(meta={'dagster': {'ref': {'name': 'marketing_return_by_channel'}}}) }}

-- The dbt var return_attribution_model names a model the return marts have (a typo would
-- leave every row unflagged), and exactly that model is flagged is_default_model. Returns a
-- row when either rule breaks.

select
    '{{ var("return_attribution_model") }}' as return_attribution_model,
    'no such attribution model' as problem
from (select 1 as one) as anchor
where not exists (
        select 1 as found
        from {{ ref('marketing_return_by_channel') }} as returns
        where returns.attribution_model = '{{ var("return_attribution_model") }}'
    )

union all

select
    attribution_model as return_attribution_model,
    'flag disagrees with the var' as problem
from {{ ref('marketing_return_by_channel') }}
where is_default_model <> (attribution_model = '{{ var("return_attribution_model") }}')
