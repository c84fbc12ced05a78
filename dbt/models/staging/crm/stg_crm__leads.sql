with

source as (

    select * from {{ source('crm', 'leads') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as lead_id,
        {{ cleaned_string('Click_Id__c') }} as click_id,
        {{ cleaned_string('OwnerId') }} as owner_user_id,
        {{ cleaned_string('ConvertedContactId') }} as converted_contact_id,
        {{ cleaned_string('ConvertedAccountId') }} as converted_account_id,
        {{ cleaned_string('ConvertedOpportunityId') }} as converted_opportunity_id,

        -- strings
        {{ cleaned_string('FirstName') }} as first_name,
        {{ cleaned_string('LastName') }} as last_name,
        {{ normalize_email('Email') }} as email,
        {{ email_domain(normalize_email('Email')) }} as email_domain,
        {{ cleaned_string('Company') }} as company_name,
        {{ cleaned_string('Title') }} as title,
        {{ cleaned_string('Phone') }} as phone,
        {{ cleaned_string('Status') }} as lead_status,
        {{ cleaned_string('Disqualification_Reason__c') }} as disqualification_reason,
        {{ cleaned_string('LeadSource') }} as lead_source,
        lower({{ cleaned_string('UTM_Source__c') }}) as utm_source,
        lower({{ cleaned_string('UTM_Medium__c') }}) as utm_medium,
        lower({{ cleaned_string('UTM_Campaign__c') }}) as utm_campaign,
        lower({{ cleaned_string('UTM_Content__c') }}) as utm_content,
        lower({{ cleaned_string('UTM_Term__c') }}) as utm_term,

        -- booleans
        IsConverted as is_converted,
        IsDeleted as is_deleted,

        -- dates
        ConvertedDate as converted_date,

        -- timestamps
        {{ to_utc('MQL_Date__c') }} as mql_at,
        {{ to_utc('SAL_Date__c') }} as sal_at,
        {{ to_utc('SQL_Date__c') }} as sql_at,
        {{ to_utc('CreatedDate') }} as created_at,
        {{ to_utc('LastModifiedDate') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (orders versions with the same updated_at; dropped after de-duplication)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- leads are re-exported once sales works them (a *_delta.csv file): the version with the
    -- newest LastModifiedDate wins, whichever load delivered it
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('lead_id', 'updated_at') }}

)

select * from deduplicated
