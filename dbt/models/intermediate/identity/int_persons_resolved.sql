{{ config(materialized='table') }}  {#- read by several models and tests: computed once per run -#}

{#-
    One row per person key: the CRM records behind the person, their best email and name, and
    the account the person belongs to with the rule that says so: the contact's account, then
    the account the lead converted into, then an account whose website domain is the person's
    email domain (only business domains, and only when exactly one account has that domain).
-#}

with

links as (

    select * from {{ ref('int_person_records_linked') }}
    where person_key is not null
        and record_type in ('contact', 'lead')

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

leads as (

    select * from {{ ref('stg_crm__leads') }}

),

free_mail as (

    select email_domain from {{ ref('free_email_domains') }}

),

-- business domains that identify exactly one account
account_domains as (

    select
        website_domain,
        min(account_id) as account_id
    from {{ ref('stg_crm__accounts') }}
    where website_domain is not null
        and not coalesce(is_deleted, false)
    group by website_domain
    having count(*) = 1

),

person_records as (

    select
        links.person_key,
        links.record_type,
        links.record_id,
        coalesce(contacts.email, leads.email) as email,
        coalesce(contacts.email_domain, leads.email_domain) as email_domain,
        coalesce(contacts.first_name, leads.first_name) as first_name,
        coalesce(contacts.last_name, leads.last_name) as last_name,
        coalesce(contacts.title, leads.title) as title,
        contacts.account_id as contact_account_id,
        leads.converted_account_id as lead_account_id,
        leads.created_at as lead_created_at,
        coalesce(contacts.created_at, leads.created_at) as created_at,
        links.identity_loaded_at,
        -- the record that describes the person: a contact before a lead, then the newest
        -- record, then the record id (so a person with several leads gets one record's name,
        -- email and title, the same in every build)
        row_number() over (
            partition by links.person_key
            order by
                case when links.record_type = 'contact' then 0 else 1 end,
                coalesce(contacts.created_at, leads.created_at) desc nulls last,
                links.record_id
        ) as description_rank
    from links
    left join contacts
        on links.record_type = 'contact'
        and links.record_id = contacts.contact_id
    left join leads
        on links.record_type = 'lead'
        and links.record_id = leads.lead_id

),

people as (

    select
        person_key,
        -- all from the one record that describes the person (description_rank 1)
        {{ first_by('email', 'description_rank') }} as email,
        {{ first_by('email_domain', 'description_rank') }} as email_domain,
        {{ first_by('first_name', 'description_rank') }} as first_name,
        {{ first_by('last_name', 'description_rank') }} as last_name,
        {{ first_by('title', 'description_rank') }} as title,
        min(record_id) filter (where record_type = 'contact') as contact_id,
        count(*) filter (where record_type = 'contact') as contact_count,
        count(*) filter (where record_type = 'lead') as lead_count,
        min(contact_account_id) as contact_account_id,
        min(lead_account_id) as lead_account_id,
        min(lead_created_at) as first_lead_created_at,
        min(created_at) as first_seen_at,
        max(identity_loaded_at) as identity_loaded_at
    from person_records
    group by person_key

),

final as (

    select
        -- ids
        people.person_key,
        people.contact_id,
        coalesce(
            people.contact_account_id, people.lead_account_id, account_domains.account_id
        ) as account_id,

        -- strings
        people.email,
        people.email_domain,
        people.first_name,
        people.last_name,
        people.title,
        case
            when people.contact_account_id is not null then 'contact_account'
            when people.lead_account_id is not null then 'lead_conversion'
            when account_domains.account_id is not null then 'email_domain'
            else 'unmatched'
        end as account_match_rule,

        -- numerics
        people.contact_count,
        people.lead_count,

        -- booleans
        people.email_domain in (select free_mail.email_domain from free_mail) as is_free_mail,

        -- timestamps
        people.first_lead_created_at,
        people.first_seen_at,
        people.identity_loaded_at

    from people
    left join account_domains
        on people.email_domain = account_domains.website_domain
        and people.email_domain not in (select free_mail.email_domain from free_mail)

)

select * from final
