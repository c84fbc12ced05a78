{#- Stripe customers: the newest export of each customer (sales adds the CRM account id to the
    metadata some time after sign-up, and the customer is re-exported with it). -#}

with

source as (

    select * from {{ source('billing', 'customers') }}

),

renamed as (

    select
        -- ids
        id as customer_id,
        -- metadata.crm_account_id; an absent key, a JSON null and '' all mean "not linked"
        {{ cleaned_string("" ~ json_text('metadata', '$.crm_account_id') ~ "") }} as crm_account_id,

        -- strings
        name as customer_name,
        {{ normalize_email('email') }} as email,
        {{ email_domain(normalize_email('email')) }} as email_domain,
        upper(trim(currency)) as currency,

        -- booleans
        livemode as is_livemode,
        delinquent as is_delinquent,

        -- timestamps
        {{ epoch_to_utc('created') }} as created_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- Stripe exports carry no updated-at: the latest load wins (the delta re-export)
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('customer_id') }}

)

select * from deduplicated
