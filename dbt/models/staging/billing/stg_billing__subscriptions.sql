{#- Stripe subscriptions with their (single) item: price, interval, unit amount, quantity. -#}
{%- set unit_amount_minor =
    "cast(" ~ json_text('items', '$.data[0].price.unit_amount') ~ " as "
    ~ dbt.type_bigint() ~ ")" -%}

with

source as (

    select * from {{ source('billing', 'subscriptions') }}

),

renamed as (

    select
        -- ids
        id as subscription_id,
        customer as customer_id,
        {{ json_text('items', '$.data[0].price.id') }} as price_id,

        -- strings
        lower(status) as subscription_status,
        upper(trim(currency)) as currency,
        lower({{ json_text('items', '$.data[0].price.recurring.interval') }}) as billing_interval,

        -- numerics
        -- (from items.data[0]; unit_amount is in the smallest currency unit: stripe_amount
        -- divides by 10 ^ the currency's exponent, seed currency_exponents)
        {{ stripe_amount(unit_amount_minor, 'upper(trim(currency))') }} as unit_amount,
        {{ unit_amount_minor }} as unit_amount_minor,
        cast(
            {{ json_text('items', '$.data[0].quantity') }} as {{ dbt.type_bigint() }}
        ) as quantity,

        -- timestamps
        {{ epoch_to_utc('start_date') }} as started_at,
        {{ epoch_to_utc('current_period_start') }} as current_period_start_at,
        {{ epoch_to_utc('current_period_end') }} as current_period_end_at,
        {{ epoch_to_utc('canceled_at') }} as canceled_at,
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
    {{ latest_version('subscription_id') }}

)

select * from deduplicated
