{#- Stripe invoices: amounts in decimal and in the smallest currency unit, status transitions as
    UTC timestamps. The line items are staged in stg_billing__invoice_lines. -#}

with

source as (

    select * from {{ source('billing', 'invoices') }}

),

renamed as (

    select
        -- ids
        id as invoice_id,
        customer as customer_id,
        subscription as subscription_id,

        -- strings
        lower(status) as invoice_status,
        upper(trim(currency)) as currency,

        -- numerics
        -- (stripe_amount: minor units / 10 ^ the currency's exponent, seed currency_exponents)
        {{ stripe_amount('amount_due', 'upper(trim(currency))') }} as amount_due,
        amount_due as amount_due_minor,
        {{ stripe_amount('amount_paid', 'upper(trim(currency))') }} as amount_paid,
        amount_paid as amount_paid_minor,
        {{ stripe_amount('total', 'upper(trim(currency))') }} as total_amount,
        total as total_amount_minor,

        -- timestamps
        {{ epoch_to_utc('period_start') }} as period_start_at,
        {{ epoch_to_utc('period_end') }} as period_end_at,
        {{ epoch_to_utc("" ~ json_text('status_transitions', '$.finalized_at') ~ "") }}
            as finalized_at,
        {{ epoch_to_utc("" ~ json_text('status_transitions', '$.paid_at') ~ "") }}
            as paid_at,
        {{ epoch_to_utc("" ~ json_text('status_transitions', '$.voided_at') ~ "") }}
            as voided_at,
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
    {{ latest_version('invoice_id') }}

)

select * from deduplicated
