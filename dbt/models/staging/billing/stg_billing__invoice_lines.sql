{#- Stripe invoice line items: one row per element of the invoice's lines.data. This reshapes
    one source (no join). The invoice is de-duplicated BEFORE the reshape, unlike the other
    staging models: de-duplicating lines by line id would keep a line that a newer version of
    its invoice no longer has. -#}
{%- set line_amount_minor = "cast(" ~ json_text('line', '$.amount') ~ " as "
    ~ dbt.type_bigint() ~ ")" -%}
{%- set line_currency =
    "upper(trim(coalesce(" ~ json_text('line', '$.currency') ~ ", currency)))" -%}

with

source as (

    select * from {{ source('billing', 'invoices') }}

),

deduplicated as (

    -- the newest version of every invoice (no updated-at: the latest load wins)
    select *
    from source
    {{ latest_version('id') }}

),

-- (the line's columns come from the unnest, the invoice's from the invoice)
-- noqa: disable=RF03
renamed as (

    select
        -- ids
        {{ json_text('line', '$.id') }} as invoice_line_id,
        id as invoice_id,

        -- strings
        {{ line_currency }} as currency,
        {{ json_text('line', '$.description') }} as description,

        -- numerics
        -- (stripe_amount: minor units / 10 ^ the currency's exponent, seed currency_exponents)
        {{ stripe_amount(line_amount_minor, line_currency) }} as line_amount,
        {{ line_amount_minor }} as line_amount_minor,
        cast({{ json_text('line', '$.quantity') }} as {{ dbt.type_bigint() }}) as quantity,

        -- timestamps
        {{ epoch_to_utc("" ~ json_text('line', '$.period.start') ~ "") }} as period_start_at,
        {{ epoch_to_utc("" ~ json_text('line', '$.period.end') ~ "") }} as period_end_at,
        {{ to_utc('_loaded_at') }} as loaded_at

    -- one row per line item (a lateral unnest of the JSON array, not a join)
    {{ from_json_array_elements('deduplicated', 'invoices', 'lines', '$.data', 'line') }}

)
-- noqa: enable=RF03

select * from renamed
