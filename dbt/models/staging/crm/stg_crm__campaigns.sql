with

source as (

    select * from {{ source('crm', 'campaigns') }}

),

renamed as (

    select
        -- ids
        nullif(trim("Id"), '') as campaign_id,
        nullif(trim("ParentId"), '') as parent_campaign_id,

        -- strings
        nullif(trim("Name"), '') as campaign_name,
        nullif(trim("Type"), '') as campaign_type,
        nullif(trim("Channel__c"), '') as campaign_channel,
        lower(nullif(trim("UTM_Campaign__c"), '')) as utm_campaign,
        nullif(trim("Status"), '') as campaign_status,
        upper(nullif(trim("CurrencyIsoCode"), '')) as actual_cost_currency,

        -- numerics
        cast("ActualCost" as decimal(18, 2)) as actual_cost_amount,

        -- dates
        "StartDate" as start_date,
        "EndDate" as end_date,

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

    -- raw keeps every exported version of a campaign: keep the newest
    select * exclude (_source_seq, _source_line)
    from renamed
    {{ latest_version('campaign_id', 'updated_at') }}

)

select * from deduplicated
