{#-
    Money movements in billing, one row each, in their own currency and in the reporting
    currency (rate of the month they happened):
    - invoice_paid: a paid invoice's total, at the time it was paid (billed revenue);
    - charge_succeeded: money collected by a successful charge;
    - refund: money given back (negative), netted from both billed and collected revenue.
    A movement whose parent never arrived (a refund whose charge was rejected at load or not
    delivered, so its customer is unknown; an invoice or charge of a customer that was not
    loaded) is kept and flagged `is_orphaned` with its `orphan_reason`: the money stays in the
    totals, in customer_revenue's unknown-customer row, instead of stopping the night or
    vanishing.
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

customers as (

    select * from {{ ref('stg_billing__customers') }}

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
        cast(null as string) as charge_id,
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
        case
            when events.customer_id is null then 'refund of a charge that was not loaded'
            when customers.customer_id is null then 'customer that was not loaded'
        end as orphan_reason,

        -- numerics
        events.amount,
        {{ round_money('events.amount', 'rates.rate_to_reporting') }}
            as amount_reporting,

        -- booleans
        events.customer_id is null or customers.customer_id is null as is_orphaned,

        -- timestamps
        events.event_at

    from events
    left join rates
        on events.currency = rates.currency
        and cast({{ dbt.date_trunc('month', 'events.event_at') }} as date) = rates.rate_month
    left join customers
        on events.customer_id = customers.customer_id

)

select * from final
