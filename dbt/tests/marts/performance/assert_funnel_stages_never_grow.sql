{{ config(meta={'dagster': {'ref': {'name': 'funnel_conversion'}}}) }}

-- Within every cohort (and every other dimension value) no funnel stage counts more leads than
-- the stage before it, and in funnel_leads a lead that reached a stage reached every earlier
-- one. Returns the offending rows.

select
    funnel_conversion_key as offender,
    'stage exceeds the one before it' as problem
from {{ ref('funnel_conversion') }}
where mqls > leads
    or sals > mqls
    or sqls > sals
    or opportunities > sqls
    or won > opportunities
    or first_payments > won

union all

select
    person_key as offender,
    'reached a stage without the one before it' as problem
from {{ ref('funnel_leads') }}
where (has_reached_first_payment and not has_reached_won)
    or (has_reached_won and not has_reached_opportunity)
    or (has_reached_opportunity and not has_reached_sql)
    or (has_reached_sql and not has_reached_sal)
    or (has_reached_sal and not has_reached_mql)
    or not has_reached_lead
