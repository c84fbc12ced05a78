with

source as (

    select * from {{ source('crm', 'opportunity_history') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as stage_history_id,
        {{ cleaned_string('OpportunityId') }} as opportunity_id,
        {{ cleaned_string('CreatedById') }} as changed_by_user_id,

        -- strings
        {{ cleaned_string('StageName') }} as stage_name,

        -- numerics
        -- in the opportunity's currency (stg_crm__opportunities.currency)
        cast(Amount as decimal(18, 2)) as amount,
        Probability as probability,

        -- dates
        CloseDate as close_date,

        -- timestamps
        {{ to_utc('CreatedDate') }} as changed_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (orders re-delivered rows; dropped after de-duplication)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- history rows are immutable (no updated-at): a row delivered twice keeps its latest load
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('stage_history_id') }}

)

select * from deduplicated
