{#- Every row the loader rejected (raw_meta.load_rejects, every load's), with the file, line,
    column and reason, and for a Stripe record (a JSON object) its id, the money it states
    (`total` of an invoice, else `amount`) in the currency's major unit, its currency
    and creation time: what a reader needs to know which money no figure holds. -#}

with

source as (

    select * from {{ source('meta', 'load_rejects') }}

),

parsed as (

    select
        *,
        case
            when table_name like 'raw_billing.%' and {{ is_json('raw_record') }}
                then raw_record
        end as stripe_record
    from source

),

renamed as (

    select
        -- ids
        {{ dbt.concat([
            "cast(load_id as " ~ dbt.type_string() ~ ")", "':'", "table_name", "':'",
            "cast(coalesce(line, -1) as " ~ dbt.type_string() ~ ")", "':'",
            "coalesce(column_name, '')"
        ]) }} as load_reject_key,
        load_id,
        {{ json_text('stripe_record', '$.id') }} as record_id,

        -- strings
        table_name,
        source_uri,
        column_name,
        error_type,
        reason,
        raw_record,
        upper(trim({{ json_text('stripe_record', '$.currency') }})) as currency,

        -- numerics
        line,
        {{ stripe_amount(
            whole_number(
                "coalesce(" ~ json_text('stripe_record', '$.total') ~ ", "
                ~ json_text('stripe_record', '$.amount_paid') ~ ", "
                ~ json_text('stripe_record', '$.amount') ~ ")"
            ),
            "upper(trim(" ~ json_text('stripe_record', '$.currency') ~ "))"
        ) }} as stated_amount,

        -- timestamps
        {{ epoch_to_utc(whole_number(json_text('stripe_record', '$.created'))) }}
            as record_created_at,
        {{ to_utc('rejected_at') }} as rejected_at

    from parsed

)

select * from renamed
