{{ config(meta={'dagster': {'ref': {'name': 'pipeline_sourcing'}}}) }}

-- Every month: marketing-sourced + sales-sourced = all pipeline (count and amount, to the
-- cent), marketing-influenced >= marketing-sourced, and the months hold every opportunity of
-- the opportunities mart. Returns the offending months.

with

months as (

    select * from {{ ref('pipeline_sourcing') }}

),

opportunities as (

    select
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as pipeline_month,
        count(*) as opportunities,
        sum(amount_reporting) as pipeline_amount
    from {{ ref('opportunities') }}
    group by all

)

select coalesce(months.pipeline_month, opportunities.pipeline_month) as pipeline_month
from months
full outer join opportunities
    on months.pipeline_month = opportunities.pipeline_month
where months.marketing_sourced_opportunities + months.sales_sourced_opportunities
    <> months.opportunities
    or months.marketing_sourced_amount + months.sales_sourced_amount <> months.pipeline_amount
    or months.marketing_influenced_opportunities < months.marketing_sourced_opportunities
    or months.marketing_influenced_amount < months.marketing_sourced_amount
    or months.opportunities is distinct from opportunities.opportunities
    or months.pipeline_amount is distinct from opportunities.pipeline_amount
