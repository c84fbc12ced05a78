{{ incremental_staging_config('email_event_id') }}

with

source as (

    select * from {{ source('crm', 'email_events') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('event_id') }} as email_event_id,
        {{ cleaned_string('email_campaign_id') }} as email_campaign_id,
        {{ cleaned_string('recipient_id') }} as recipient_id,

        -- strings
        -- Salesforce key prefixes: 00Q = Lead, 003 = Contact
        case left(trim(recipient_id), 3)
            when '00Q' then 'lead'
            when '003' then 'contact'
        end as recipient_type,
        {{ normalize_email('email') }} as email,
        lower({{ cleaned_string('event_type') }}) as event_type,
        {{ cleaned_string('link_url') }} as link_url,
        lower({{ url_param(cleaned_string('link_url'), 'utm_source') }}) as utm_source,
        lower({{ url_param(cleaned_string('link_url'), 'utm_medium') }}) as utm_medium,
        lower({{ url_param(cleaned_string('link_url'), 'utm_campaign') }}) as utm_campaign,

        -- timestamps
        {{ to_utc('occurred_at') }} as occurred_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage: the load of this version (the incremental bookmark, kept); export
        -- order and line (order the versions, dropped after de-duplication)
        _load_id as load_id,
        _source_seq,
        _source_line

    from source
    {{ touched_keys_only(cleaned_string('event_id'), 'email_event_id') }}

),

deduplicated as (

    -- events have no updated-at: an event delivered twice keeps its latest load
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('email_event_id') }}

)

select * from deduplicated
