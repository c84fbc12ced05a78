{#- A deal's people: the people on its contact roles and the person whose converted lead created
    it, one row per opportunity and person. The source lead is the lead converted into the
    opportunity (Lead.ConvertedOpportunityId); an opportunity no lead was converted into takes
    the earliest lead, created at or before the opportunity, of a person on its contact roles
    (a lead converted to a contact, then a deal opened on the contact). An opportunity with
    neither (outbound contacts a rep created) has no source person. Journeys take their touches,
    their lead milestone and their sourcing from here. -#}

with

roles as (

    select * from {{ ref('stg_crm__opportunity_contact_roles') }}

),

opportunities as (

    select
        opportunity_id,
        created_at
    from {{ ref('stg_crm__opportunities') }}

),

leads as (

    select * from {{ ref('int_person_leads_linked') }}

),

role_people as (

    select distinct
        roles.opportunity_id,
        links.person_key
    from roles
    inner join {{ ref('int_person_records_linked') }} as links
        on links.record_type = 'contact'
        and roles.contact_id = links.record_id
    where links.person_key is not null

),

converted_source as (

    select
        leads.converted_opportunity_id as opportunity_id,
        {{ first_by('leads.person_key', ['leads.created_at', 'leads.lead_id']) }} as person_key,
        {{ first_by('leads.lead_id', ['leads.created_at', 'leads.lead_id']) }} as lead_id,
        1 as source_rule
    from leads
    inner join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    group by leads.converted_opportunity_id

),

contact_lead_source as (

    select
        role_people.opportunity_id,
        {{ first_by('leads.person_key', ['leads.created_at', 'leads.lead_id']) }} as person_key,
        {{ first_by('leads.lead_id', ['leads.created_at', 'leads.lead_id']) }} as lead_id,
        2 as source_rule
    from role_people
    inner join opportunities
        on role_people.opportunity_id = opportunities.opportunity_id
    inner join leads
        on role_people.person_key = leads.person_key
        and opportunities.created_at >= leads.created_at
    where role_people.opportunity_id not in (
            select converted_source.opportunity_id from converted_source
        )
    group by role_people.opportunity_id

),

source_people as (

    select * from converted_source
    union all
    select * from contact_lead_source

),

people as (

    select
        opportunity_id,
        person_key
    from role_people
    union
    select
        opportunity_id,
        person_key
    from source_people

),

first_leads as (

    select
        person_key,
        min(created_at) as first_lead_created_at
    from leads
    group by person_key

),

final as (

    select
        -- ids
        people.opportunity_id,
        people.person_key,
        source_people.lead_id as source_lead_id,

        -- strings
        case source_people.source_rule
            when 1 then 'converted_lead'
            when 2 then 'contact_earlier_lead'
        end as source_rule,

        -- booleans
        role_people.person_key is not null as has_contact_role,
        source_people.person_key is not null as is_source_person,

        -- timestamps
        first_leads.first_lead_created_at

    from people
    left join role_people
        on people.opportunity_id = role_people.opportunity_id
        and people.person_key = role_people.person_key
    left join source_people
        on people.opportunity_id = source_people.opportunity_id
        and people.person_key = source_people.person_key
    left join first_leads
        on people.person_key = first_leads.person_key

)

select * from final
