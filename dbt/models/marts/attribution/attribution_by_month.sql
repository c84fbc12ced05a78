{#- Credited conversions and amount per conversion type, model, channel and month of the
    conversion. -#}

with

credits as (

    select * from {{ ref('attribution_credits') }}

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "conversion_type", "':'", "attribution_model", "':'", "channel", "':'",
            "cast(cast(" ~ dbt.date_trunc('month', 'converted_at') ~ " as date) as string)"
        ]) }} as attribution_month_key,

        -- strings
        conversion_type,
        attribution_model,
        channel,
        min(reporting_currency) as reporting_currency,

        -- numerics
        sum(credit_fraction) as credited_conversions,
        sum(credited_amount) as credited_amount,

        -- dates
        cast({{ dbt.date_trunc('month', 'converted_at') }} as date) as conversion_month

    from credits
    group by all

)

select * from final
