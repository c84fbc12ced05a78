{#-
    Money movements in billing, one row each, in their own currency and in the reporting
    currency (rate of the month they happened):
    - invoice_paid: a paid invoice's total, at the time it was paid (billed revenue);
    - charge_succeeded: money collected by a successful charge;
    - refund: money given back (negative), netted from both billed and collected revenue.
-#}

with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

charges as (

    select * from {{ ref('stg_billing__charges') }}

),

refunds as (

    select * from {{ ref('stg_billing__refunds') }}

),

rates as (

    select * from {{ ref('int_exchange_rates_to_reporting') }}

),

events as (

    select
        'invoice_paid:' || invoice_id as revenue_event_id,
        'invoice_paid' as event_type,
        customer_id,
        invoice_id,
        cast(null as varchar) as charge_id,
        total_amount as amount,
        currency,
        paid_at as event_at
    from invoices
    where invoice_status = 'paid'
        and paid_at is not null

    union all

    select
        'charge_succeeded:' || charge_id as revenue_event_id,
        'charge_succeeded' as event_type,
        customer_id,
        invoice_id,
        charge_id,
        charge_amount as amount,
        currency,
        created_at as event_at
    from charges
    where charge_status = 'succeeded'

    union all

    select
        'refund:' || refunds.refund_id as revenue_event_id,
        'refund' as event_type,
        charges.customer_id,
        charges.invoice_id,
        refunds.charge_id,
        -refunds.refund_amount as amount,
        refunds.currency,
        refunds.created_at as event_at
    from refunds
    left join charges
        on refunds.charge_id = charges.charge_id
    where refunds.refund_status = 'succeeded'

),

final as (

    select
        -- ids
        events.revenue_event_id,
        events.customer_id,
        events.invoice_id,
        events.charge_id,

        -- strings
        events.event_type,
        events.currency,
        rates.reporting_currency,

        -- numerics
        events.amount,
        cast(round(events.amount * rates.rate_to_reporting, 2) as decimal(18, 2))
            as amount_reporting,

        -- timestamps
        events.event_at

    from events
    left join rates
        on events.currency = rates.currency
        and cast({{ dbt.date_trunc('month', 'events.event_at') }} as date) = rates.rate_month

)

select * from final
