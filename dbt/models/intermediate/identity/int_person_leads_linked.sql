{#- Every lead that counts (not deleted) with the person it resolved to (int_person_records_linked)
    and its lifecycle: one row per lead. Duplicate leads of one person share the person key; the
    funnel and lead attribution read a person's leads from here. -#}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not coalesce(is_deleted, false)

),

links as (

    select * from {{ ref('int_person_records_linked') }}
    where record_type = 'lead'
        and person_key is not null

),

final as (

    select
        -- ids
        links.person_key,
        leads.lead_id,
        leads.owner_user_id,
        leads.converted_opportunity_id,

        -- strings
        leads.lead_source,
        leads.lead_status,
        leads.disqualification_reason,

        -- timestamps
        leads.created_at,
        leads.mql_at,
        leads.sal_at,
        leads.sql_at

    from leads
    inner join links
        on leads.lead_id = links.record_id

)

select * from final
