{#- Stripe charges: payment attempts on invoices, with the amount refunded so far. -#}

with

source as (

    select * from {{ source('billing', 'charges') }}

),

renamed as (

    select
        -- ids
        id as charge_id,
        customer as customer_id,
        invoice as invoice_id,

        -- strings
        upper(trim(currency)) as currency,
        lower(status) as charge_status,
        failure_code,

        -- numerics
        -- (stripe_amount: minor units / 10 ^ the currency's exponent, seed currency_exponents)
        {{ stripe_amount('amount', 'upper(trim(currency))') }} as charge_amount,
        amount as charge_amount_minor,
        {{ stripe_amount('amount_refunded', 'upper(trim(currency))') }}
            as refunded_amount,
        amount_refunded as refunded_amount_minor,

        -- booleans
        paid as is_paid,
        refunded as is_refunded,

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
    {{ latest_version('charge_id') }}

)

select * from deduplicated
