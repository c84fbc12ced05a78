{#- Monthly rate from every currency to the reporting currency (dbt var `reporting_currency`),
    derived from the US-dollar rates in the `exchange_rates` seed. -#}

with

rates as (

    select * from {{ ref('exchange_rates') }}

),

reporting as (

    select
        rate_month,
        usd_per_unit
    from rates
    where currency = '{{ var("reporting_currency") }}'

),

final as (

    select
        rates.currency,
        rates.rate_month,
        '{{ var("reporting_currency") }}' as reporting_currency,
        -- (as doubles: decimal / decimal is a DOUBLE on DuckDB but an exact DECIMAL on Spark)
        cast(rates.usd_per_unit as double) / cast(reporting.usd_per_unit as double)
            as rate_to_reporting
    from rates
    inner join reporting
        on rates.rate_month = reporting.rate_month

)

select * from final
