with

source as (

    select * from {{ source('crm', 'accounts') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as account_id,
        {{ cleaned_string('OwnerId') }} as owner_user_id,

        -- strings
        {{ cleaned_string('Name') }} as account_name,
        {{ cleaned_string('Website') }} as website,
        -- host of the website without protocol, leading 'www.', port or path
        nullif(
            regexp_extract(
                lower(trim(Website)),
                '^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?([^/:?#]+)',
                1
            ),
            ''
        ) as website_domain,
        {{ cleaned_string('Industry') }} as industry,
        {{ cleaned_string('BillingCountry') }} as billing_country,
        upper({{ cleaned_string('CurrencyIsoCode') }}) as currency,
        {{ cleaned_string('Type') }} as account_type,

        -- numerics
        NumberOfEmployees as employee_count,

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

    -- raw keeps every exported version of an account: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('account_id', 'updated_at') }}

)

select * from deduplicated
