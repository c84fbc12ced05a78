with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('Id') }} as opportunity_id,
        {{ cleaned_string('AccountId') }} as account_id,
        {{ cleaned_string('CampaignId') }} as primary_campaign_id,
        {{ cleaned_string('OwnerId') }} as owner_user_id,

        -- strings
        {{ cleaned_string('Name') }} as opportunity_name,
        {{ cleaned_string('StageName') }} as stage_name,
        upper({{ cleaned_string('CurrencyIsoCode') }}) as currency,
        {{ cleaned_string('Loss_Reason__c') }} as loss_reason,
        {{ cleaned_string('Type') }} as opportunity_type,
        {{ cleaned_string('LeadSource') }} as lead_source,

        -- numerics
        cast(Amount as decimal(18, 2)) as amount,
        Probability as probability,

        -- booleans
        IsClosed as is_closed,
        IsWon as is_won,
        IsDeleted as is_deleted,

        -- dates
        CloseDate as close_date,

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

    -- deals are re-exported as they move (a *_delta.csv file): the version with the newest
    -- LastModifiedDate wins, whichever load delivered it
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('opportunity_id', 'updated_at') }}

)

select * from deduplicated
