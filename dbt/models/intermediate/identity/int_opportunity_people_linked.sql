{#- The people on every opportunity (through its contact roles), each with the creation of the
    person's first lead: journeys take their touches and their lead milestone from here. -#}

with

roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}

),

final as (

    select distinct
        -- ids
        roles.opportunity_id,
        links.person_key,

        -- timestamps
        persons.first_lead_created_at

    from roles
    inner join {{ ref('int_person_records_linked') }} as links
        on links.record_type = 'contact'
        and roles.contact_id = links.record_id
    inner join {{ ref('int_persons_resolved') }} as persons
        on links.person_key = persons.person_key

)

select * from final
