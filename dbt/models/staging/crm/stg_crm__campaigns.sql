with

source as (

    select * from {{ source('crm', 'campaigns') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as campaign_id,
        {{ cleaned_string('ParentId') }} as parent_campaign_id,

        -- strings
        {{ cleaned_string('Name') }} as campaign_name,
        {{ cleaned_string('Type') }} as campaign_type,
        {{ cleaned_string('Channel__c') }} as campaign_channel,
        lower({{ cleaned_string('UTM_Campaign__c') }}) as utm_campaign,
        {{ cleaned_string('Status') }} as campaign_status,
        upper({{ cleaned_string('CurrencyIsoCode') }}) as actual_cost_currency,

        -- numerics
        cast(ActualCost as decimal(18, 2)) as actual_cost_amount,

        -- dates
        StartDate as start_date,
        EndDate as end_date,

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

    -- raw keeps every exported version of a campaign: keep the newest
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('campaign_id', 'updated_at') }}

)

select * from deduplicated
