with

source as (

    select * from {{ source('crm', 'tasks') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as activity_id,
        {{ cleaned_string('WhoId') }} as who_id,
        {{ cleaned_string('WhatId') }} as what_id,
        {{ cleaned_string('OwnerId') }} as owner_user_id,

        -- strings
        -- Salesforce key prefixes: 00Q = Lead, 003 = Contact, 006 = Opportunity, 001 = Account
        case left(trim(WhoId), 3)
            when '00Q' then 'lead'
            when '003' then 'contact'
        end as who_type,
        case left(trim(WhatId), 3)
            when '006' then 'opportunity'
            when '001' then 'account'
        end as what_type,
        lower({{ cleaned_string('Type') }}) as activity_type,
        {{ cleaned_string('Subject') }} as subject,
        {{ cleaned_string('Status') }} as activity_status,

        -- numerics
        CallDurationInSeconds as call_duration_seconds,

        -- booleans
        IsDeleted as is_deleted,

        -- dates
        ActivityDate as activity_date,

        -- timestamps
        -- when the activity happened; a task logged without it happened when it was created
        coalesce(
            {{ to_utc('CompletedDateTime') }},
            {{ to_utc('CreatedDate') }}
        ) as completed_at,
        {{ to_utc('CreatedDate') }} as created_at,
        {{ to_utc('LastModifiedDate') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (orders versions with the same updated_at; dropped after de-duplication)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- raw keeps every exported version of an activity: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('activity_id', 'updated_at') }}

)

select * from deduplicated
