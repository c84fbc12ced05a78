-- A lead moves created -> MQL -> SAL -> SQL in that order, and a converted lead names the
-- contact and account it became and the date. Returns the leads that break either rule.
select
    lead_id,
    lead_status,
    created_at,
    mql_at,
    sal_at,
    sql_at,
    is_converted,
    converted_contact_id,
    converted_account_id,
    converted_date
from {{ ref('stg_crm__leads') }}
where
    mql_at < created_at
    or sal_at < mql_at
    or sql_at < sal_at
    or (sal_at is not null and mql_at is null)
    or (sql_at is not null and sal_at is null)
    or (
        is_converted
        and (
            converted_contact_id is null
            or converted_account_id is null
            or converted_date is null
        )
    )
    or (not is_converted and converted_contact_id is not null)
