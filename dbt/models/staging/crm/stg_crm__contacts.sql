with

source as (

    select * from {{ source('crm', 'contacts') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as contact_id,
        {{ cleaned_string('AccountId') }} as account_id,
        {{ cleaned_string('OwnerId') }} as owner_user_id,

        -- strings
        {{ cleaned_string('FirstName') }} as first_name,
        {{ cleaned_string('LastName') }} as last_name,
        {{ normalize_email('Email') }} as email,
        {{ email_domain(normalize_email('Email')) }} as email_domain,
        {{ cleaned_string('Title') }} as title,
        {{ cleaned_string('LeadSource') }} as lead_source,

        -- booleans
        IsDeleted as is_deleted,

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

    -- raw keeps every exported version of a contact: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('contact_id', 'updated_at') }}

)

select * from deduplicated
