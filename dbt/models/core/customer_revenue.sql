{#- One row per billing customer: the CRM account it maps to (and how), and its billed and
    collected revenue, refunds netted, in the reporting currency. -#}

with

customers as (

    select * from {{ ref('int_customers_matched') }}

),

events as (

    select * from {{ ref('int_revenue_events_converted') }}

),

totals as (

    select
        customer_id,
        sum(amount_reporting) filter (where event_type = 'invoice_paid') as gross_billed_amount,
        -sum(amount_reporting) filter (where event_type = 'refund') as refunded_amount,
        sum(amount_reporting) filter (where event_type = 'charge_succeeded')
            as gross_collected_amount,
        min(event_at) filter (where event_type = 'invoice_paid') as first_paid_at,
        max(event_at) filter (where event_type = 'invoice_paid') as last_paid_at,
        count(*) filter (where event_type = 'invoice_paid') as paid_invoices
    from events
    group by customer_id

),

final as (

    select
        -- ids
        customers.customer_id,
        customers.account_id,

        -- strings
        customers.customer_name,
        customers.account_match_rule,
        customers.currency as billing_currency,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        coalesce(totals.paid_invoices, 0) as paid_invoices,
        coalesce(totals.gross_billed_amount, 0) as gross_billed_amount,
        coalesce(totals.refunded_amount, 0) as refunded_amount,
        coalesce(totals.gross_billed_amount, 0) - coalesce(totals.refunded_amount, 0)
            as billed_amount,
        coalesce(totals.gross_collected_amount, 0) - coalesce(totals.refunded_amount, 0)
            as collected_amount,

        -- booleans
        customers.account_id is not null as is_linked_to_crm,

        -- timestamps
        customers.created_at,
        totals.first_paid_at,
        totals.last_paid_at

    from customers
    left join totals
        on customers.customer_id = totals.customer_id

)

select * from final
