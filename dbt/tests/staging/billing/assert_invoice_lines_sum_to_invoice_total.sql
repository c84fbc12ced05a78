-- Every invoice's line items add up to its total, in the smallest currency unit. An invoice
-- without lines must have a zero total; a line whose invoice is missing is caught by the
-- relationships test on stg_billing__invoice_lines.invoice_id.
-- (meta.dagster.ref: Dagster shows this test as an asset check of the invoice lines)
{{ config(meta={'dagster': {'ref': {'name': 'stg_billing__invoice_lines'}}}) }}

with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

invoice_lines as (

    select * from {{ ref('stg_billing__invoice_lines') }}

),

line_totals as (

    select
        invoice_id,
        count(*) as line_count,
        sum(line_amount_minor) as lines_total_minor
    from invoice_lines
    group by invoice_id

)

select
    invoices.invoice_id,
    invoices.total_amount_minor,
    coalesce(line_totals.line_count, 0) as line_count,
    coalesce(line_totals.lines_total_minor, 0) as lines_total_minor
from invoices
left join line_totals
    on invoices.invoice_id = line_totals.invoice_id
where coalesce(line_totals.lines_total_minor, 0) <> invoices.total_amount_minor
