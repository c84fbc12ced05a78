with

source as (

    select * from {{ source('crm', 'accounts') }}

),

renamed as (

    select
        -- ids
        nullif(trim("Id"), '') as account_id,
        nullif(trim("OwnerId"), '') as owner_user_id,

        -- strings
        nullif(trim("Name"), '') as account_name,
        nullif(trim("Website"), '') as website,
        -- host of the website without protocol, leading 'www.', port or path
        nullif(
            regexp_extract(
                lower(trim("Website")),
                '^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?([^/:?#]+)',
                1
            ),
            ''
        ) as website_domain,
        nullif(trim("Industry"), '') as industry,
        nullif(trim("BillingCountry"), '') as billing_country,
        upper(nullif(trim("CurrencyIsoCode"), '')) as currency,
        nullif(trim("Type"), '') as account_type,

        -- numerics
        "NumberOfEmployees" as employee_count,

        -- booleans
        "IsDeleted" as is_deleted,

        -- timestamps
        {{ to_utc('"CreatedDate"') }} as created_at,
        {{ to_utc('"LastModifiedDate"') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (orders versions with the same updated_at; dropped after de-duplication)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- raw keeps every exported version of an account: keep the newest
    select * exclude (_source_seq, _source_line)
    from renamed
    {{ latest_version('account_id', 'updated_at') }}

)

select * from deduplicated
