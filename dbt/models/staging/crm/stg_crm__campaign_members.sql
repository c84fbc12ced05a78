{{ incremental_staging_config('campaign_member_id') }}

with

source as (

    select * from {{ source('crm', 'campaign_members') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as campaign_member_id,
        {{ cleaned_string('CampaignId') }} as campaign_id,
        {{ cleaned_string('LeadId') }} as lead_id,
        {{ cleaned_string('ContactId') }} as contact_id,

        -- strings
        {{ cleaned_string('Status') }} as member_status,

        -- booleans
        HasResponded as has_responded,

        -- dates
        FirstRespondedDate as first_responded_date,

        -- timestamps
        {{ to_utc('CreatedDate') }} as created_at,
        {{ to_utc('LastModifiedDate') }} as updated_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage: the load of this version (the incremental bookmark, kept); export
        -- order and line (order the versions, dropped after de-duplication)
        _load_id as load_id,
        _source_seq,
        _source_line

    from source
    {{ touched_keys_only(cleaned_string('Id'), 'campaign_member_id') }}

),

deduplicated as (

    -- raw keeps every exported version of a membership: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('campaign_member_id', 'updated_at') }}

)

select * from deduplicated
