{#- Credited conversions and amount per conversion type, attribution model and channel. -#}

with

credits as (

    select * from {{ ref('attribution_credits') }}

),

final as (

    select
        -- ids
        {{ dbt.concat(["conversion_type", "':'", "attribution_model", "':'", "channel"]) }}
            as attribution_channel_key,

        -- strings
        conversion_type,
        attribution_model,
        channel,
        min(reporting_currency) as reporting_currency,

        -- numerics
        sum(credit_fraction) as credited_conversions,
        sum(credited_amount) as credited_amount,
        count(touchpoint_id) as credited_touches,
        sum(credited_amount) / nullif(sum(sum(credited_amount)) over (
            partition by conversion_type, attribution_model
        ), 0) as share_of_amount

    from credits
    group by conversion_type, attribution_model, channel

)

select * from final
