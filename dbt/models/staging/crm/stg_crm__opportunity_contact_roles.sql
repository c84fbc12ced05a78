with

source as (

    select * from {{ source('crm', 'opportunity_contact_roles') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as opportunity_contact_role_id,
        {{ cleaned_string('OpportunityId') }} as opportunity_id,
        {{ cleaned_string('ContactId') }} as contact_id,

        -- strings
        {{ cleaned_string('Role') }} as contact_role,

        -- booleans
        IsPrimary as is_primary,

        -- timestamps
        {{ to_utc('CreatedDate') }} as created_at,
        {{ to_utc('LastModifiedDate') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (orders versions with the same updated_at; dropped after de-duplication)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- raw keeps every exported version of a contact role: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('opportunity_contact_role_id', 'updated_at') }}

)

select * from deduplicated
