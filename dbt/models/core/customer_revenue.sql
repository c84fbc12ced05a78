{#- One row per billing customer: the CRM account it maps to (and how), and its billed and
    collected revenue, refunds netted, in the reporting currency. Money whose customer the
    warehouse does not know (orphaned movements: a refund of a charge that was rejected at load,
    an invoice of a customer that was not loaded) is one row of its own, customer_id
    '(unknown customer)', so every billed cent of raw billing is in this table. -#}

with

customers as (

    select * from {{ ref('int_customers_matched') }}

),

events as (

    select * from {{ ref('int_revenue_events_converted') }}

),

totals as (

    select
        case
            when is_orphaned then '{{ var("unknown_customer_id") }}' else customer_id
        end as customer_id,
        sum(amount_reporting) filter (where event_type = 'invoice_paid') as gross_billed_amount,
        -sum(amount_reporting) filter (where event_type = 'refund') as refunded_amount,
        sum(amount_reporting) filter (where event_type = 'charge_succeeded')
            as gross_collected_amount,
        min(event_at) filter (where event_type = 'invoice_paid') as first_paid_at,
        max(event_at) filter (where event_type = 'invoice_paid') as last_paid_at,
        count(*) filter (where event_type = 'invoice_paid') as paid_invoices
    from events
    group by all

),

-- the unknown-customer row, when there is orphaned money
known_customers as (

    select
        customer_id,
        account_id,
        customer_name,
        account_match_rule,
        currency,
        created_at
    from customers

    union all

    select
        customer_id,
        cast(null as string) as account_id,
        cast(null as string) as customer_name,
        'orphaned_parent_not_loaded' as account_match_rule,
        cast(null as string) as currency,
        cast(null as timestamp) as created_at
    from totals
    where customer_id = '{{ var("unknown_customer_id") }}'

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

    from known_customers as customers
    left join totals
        on customers.customer_id = totals.customer_id

)

select * from final
