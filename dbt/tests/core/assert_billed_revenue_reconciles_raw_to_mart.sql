-- Billed revenue reconciles from raw billing to the revenue mart: nothing lost on the way,
-- nothing counted twice.
-- 1. Per billing currency, the paid invoices of raw_billing.invoices (newest version of each
--    invoice, status paid with a paid_at time) and the succeeded refunds of
--    raw_billing.refunds equal, in number and in minor units, the invoice_paid and refund
--    money movements of int_revenue_events_converted. The decimal amounts go back to minor
--    units with the currency's exponent (seed currency_exponents: x1 for JPY, x100 for USD,
--    x1000 for KWD); a currency the seed lacks has no minor units and does not reconcile.
-- 2. In the reporting currency, those movements add up to the gross billed, refunded and net
--    billed amounts and the paid-invoice count of marts.customer_revenue, and every one of
--    them has a reporting amount (a currency without an exchange rate would drop out of the
--    mart silently).
-- A reconciliation reads the raw tables on purpose: it checks staging on the way.
-- Returns one row per measure that does not reconcile.
{{ config(
    tags=['reconciliation'],
    meta={'dagster': {'ref': {'name': 'customer_revenue'}}},
) }}

with

raw_invoices as (

    select
        upper(trim(currency)) as currency,
        lower(status) as invoice_status,
        total as total_minor,
        {{ json_text('status_transitions', '$.paid_at') }} as paid_at
    from {{ source('billing', 'invoices') }}
    {{ latest_version('id') }}

),

raw_refunds as (

    select
        upper(trim(currency)) as currency,
        lower(status) as refund_status,
        amount as amount_minor
    from {{ source('billing', 'refunds') }}
    {{ latest_version('id') }}

),

raw_movements as (

    select
        'invoice_paid' as event_type,
        currency,
        count(*) as movements,
        sum(total_minor) as amount_minor
    from raw_invoices
    where invoice_status = 'paid'
        and paid_at is not null
    group by currency

    union all

    select
        'refund' as event_type,
        currency,
        count(*) as movements,
        -sum(amount_minor) as amount_minor
    from raw_refunds
    where refund_status = 'succeeded'
    group by currency

),

events as (

    select * from {{ ref('int_revenue_events_converted') }}
    where event_type in ('invoice_paid', 'refund')

),

exponents as (

    select
        currency,
        cast(power(10, stripe_exponent) as bigint) as minor_units_per_unit
    from {{ ref('currency_exponents') }}

),

event_movements as (

    select
        events.event_type,
        events.currency,
        count(*) as movements,
        cast(sum(events.amount * exponents.minor_units_per_unit) as bigint) as amount_minor,
        sum(events.amount_reporting) as amount_reporting,
        count(*) - count(events.amount_reporting) as without_reporting_amount
    from events
    left join exponents
        on events.currency = exponents.currency
    group by events.event_type, events.currency

),

by_currency as (

    select
        coalesce(raw_movements.event_type, event_movements.event_type) as event_type,
        coalesce(raw_movements.currency, event_movements.currency) as currency,
        coalesce(raw_movements.movements, 0) as raw_movements,
        coalesce(event_movements.movements, 0) as event_movements,
        coalesce(raw_movements.amount_minor, 0) as raw_amount_minor,
        coalesce(event_movements.amount_minor, 0) as event_amount_minor,
        coalesce(event_movements.without_reporting_amount, 0) as without_reporting_amount
    from raw_movements
    full outer join event_movements
        on raw_movements.event_type = event_movements.event_type
        and raw_movements.currency = event_movements.currency

),

mart as (

    select
        sum(paid_invoices) as paid_invoices,
        sum(gross_billed_amount) as gross_billed_amount,
        sum(refunded_amount) as refunded_amount,
        sum(billed_amount) as billed_amount
    from {{ ref('customer_revenue') }}

),

reporting as (

    select
        count(*) filter (where event_type = 'invoice_paid') as paid_invoices,
        coalesce(sum(amount_reporting) filter (where event_type = 'invoice_paid'), 0)
            as gross_billed_amount,
        coalesce(-sum(amount_reporting) filter (where event_type = 'refund'), 0)
            as refunded_amount,
        coalesce(sum(amount_reporting), 0) as billed_amount
    from events

),

comparisons as (

    select
        event_type || ' count, raw vs events' as measure,
        currency,
        cast(raw_movements as decimal(38, 2)) as expected,
        cast(event_movements as decimal(38, 2)) as actual
    from by_currency

    union all

    select
        event_type || ' minor units, raw vs events' as measure,
        currency,
        cast(raw_amount_minor as decimal(38, 2)) as expected,
        cast(event_amount_minor as decimal(38, 2)) as actual
    from by_currency

    union all

    select
        event_type || ' movements without a reporting amount' as measure,
        currency,
        cast(0 as decimal(38, 2)) as expected,
        cast(without_reporting_amount as decimal(38, 2)) as actual
    from by_currency

    union all

    select
        'paid invoices, events vs customer_revenue' as measure,
        '{{ var("reporting_currency") }}' as currency,
        cast(reporting.paid_invoices as decimal(38, 2)) as expected,
        cast(coalesce(mart.paid_invoices, 0) as decimal(38, 2)) as actual
    from reporting
    cross join mart

    union all

    select
        'gross billed amount, events vs customer_revenue' as measure,
        '{{ var("reporting_currency") }}' as currency,
        cast(reporting.gross_billed_amount as decimal(38, 2)) as expected,
        cast(coalesce(mart.gross_billed_amount, 0) as decimal(38, 2)) as actual
    from reporting
    cross join mart

    union all

    select
        'refunded amount, events vs customer_revenue' as measure,
        '{{ var("reporting_currency") }}' as currency,
        cast(reporting.refunded_amount as decimal(38, 2)) as expected,
        cast(coalesce(mart.refunded_amount, 0) as decimal(38, 2)) as actual
    from reporting
    cross join mart

    union all

    select
        'net billed amount, events vs customer_revenue' as measure,
        '{{ var("reporting_currency") }}' as currency,
        cast(reporting.billed_amount as decimal(38, 2)) as expected,
        cast(coalesce(mart.billed_amount, 0) as decimal(38, 2)) as actual
    from reporting
    cross join mart

)

select *
from comparisons
where expected <> actual
