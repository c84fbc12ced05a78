{#- Stripe refunds of charges. -#}

with

source as (

    select * from {{ source('billing', 'refunds') }}

),

renamed as (

    select
        -- ids
        id as refund_id,
        charge as charge_id,

        -- strings
        upper(trim(currency)) as currency,
        lower(reason) as refund_reason,
        lower(status) as refund_status,

        -- numerics
        -- (stripe_amount: minor units / 10 ^ the currency's exponent, seed currency_exponents)
        {{ stripe_amount('amount', 'upper(trim(currency))') }} as refund_amount,
        amount as refund_amount_minor,

        -- timestamps
        {{ epoch_to_utc('created') }} as created_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage (for de-duplication only, dropped below)
        _source_seq,
        _source_line

    from source

),

deduplicated as (

    -- Stripe exports carry no updated-at: the latest load wins
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('refund_id') }}

)

select * from deduplicated
