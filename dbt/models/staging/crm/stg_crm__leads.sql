with

source as (

    select * from {{ source('crm', 'leads') }}

),

renamed as (

    select
        -- ids
        nullif(trim("Id"), '') as lead_id,
        nullif(trim("Click_Id__c"), '') as click_id,
        nullif(trim("OwnerId"), '') as owner_user_id,
        nullif(trim("ConvertedContactId"), '') as converted_contact_id,
        nullif(trim("ConvertedAccountId"), '') as converted_account_id,
        nullif(trim("ConvertedOpportunityId"), '') as converted_opportunity_id,

        -- strings
        nullif(trim("FirstName"), '') as first_name,
        nullif(trim("LastName"), '') as last_name,
        {{ normalize_email('"Email"') }} as email,
        {{ email_domain(normalize_email('"Email"')) }} as email_domain,
        nullif(trim("Company"), '') as company_name,
        nullif(trim("Title"), '') as title,
        nullif(trim("Phone"), '') as phone,
        nullif(trim("Status"), '') as lead_status,
        nullif(trim("Disqualification_Reason__c"), '') as disqualification_reason,
        nullif(trim("LeadSource"), '') as lead_source,
        lower(nullif(trim("UTM_Source__c"), '')) as utm_source,
        lower(nullif(trim("UTM_Medium__c"), '')) as utm_medium,
        lower(nullif(trim("UTM_Campaign__c"), '')) as utm_campaign,
        lower(nullif(trim("UTM_Content__c"), '')) as utm_content,
        lower(nullif(trim("UTM_Term__c"), '')) as utm_term,

        -- booleans
        "IsConverted" as is_converted,
        "IsDeleted" as is_deleted,

        -- dates
        "ConvertedDate" as converted_date,

        -- timestamps
        {{ to_utc('"MQL_Date__c"') }} as mql_at,
        {{ to_utc('"SAL_Date__c"') }} as sal_at,
        {{ to_utc('"SQL_Date__c"') }} as sql_at,
        {{ to_utc('"CreatedDate"') }} as created_at,
        {{ to_utc('"LastModifiedDate"') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (orders versions with the same updated_at; dropped after de-duplication)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- leads are re-exported once sales works them (a *_delta.csv file): the version with the
    -- newest LastModifiedDate wins, whichever load delivered it
    select * exclude (_source_seq, _source_line)
    from renamed
    {{ latest_version('lead_id', 'updated_at') }}

)

select * from deduplicated
