with

source as (

    select * from {{ source('crm', 'users') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as user_id,

        -- strings
        {{ cleaned_string('Name') }} as user_name,
        {{ normalize_email('Email') }} as user_email,
        {{ cleaned_string('Title') }} as user_title,
        {{ cleaned_string('UserRole') }} as user_role,

        -- booleans
        IsActive as is_active,

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

    -- raw keeps every exported version of a user: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('user_id', 'updated_at') }}

)

select * from deduplicated
