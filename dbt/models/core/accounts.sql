{#- One row per CRM account: its people, deals, billing customers and revenue. -#}

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}
    where not coalesce(is_deleted, false)

),

people as (

    select
        account_id,
        count(*) as people
    from {{ ref('int_persons_resolved') }}
    where account_id is not null
    group by account_id

),

deals as (

    select
        account_id,
        count(*) as opportunities,
        count(*) filter (where is_won) as won_opportunities,
        sum(amount_reporting) filter (where is_won) as won_amount,
        min(created_at) as first_opportunity_at,
        min(won_at) as first_won_at
    from {{ ref('opportunities') }}
    group by account_id

),

revenue as (

    select
        account_id,
        count(*) as billing_customers,
        sum(billed_amount) as billed_amount,
        sum(collected_amount) as collected_amount,
        min(first_paid_at) as first_paid_at
    from {{ ref('customer_revenue') }}
    where account_id is not null
    group by account_id

),

final as (

    select
        -- ids
        accounts.account_id,
        accounts.owner_user_id,

        -- strings
        accounts.account_name,
        accounts.website_domain,
        accounts.industry,
        accounts.billing_country,
        accounts.account_type,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        accounts.employee_count,
        coalesce(people.people, 0) as people,
        coalesce(deals.opportunities, 0) as opportunities,
        coalesce(deals.won_opportunities, 0) as won_opportunities,
        coalesce(deals.won_amount, 0) as won_amount,
        coalesce(revenue.billing_customers, 0) as billing_customers,
        coalesce(revenue.billed_amount, 0) as billed_amount,
        coalesce(revenue.collected_amount, 0) as collected_amount,

        -- timestamps
        accounts.created_at,
        deals.first_opportunity_at,
        deals.first_won_at,
        revenue.first_paid_at

    from accounts
    left join people
        on accounts.account_id = people.account_id
    left join deals
        on accounts.account_id = deals.account_id
    left join revenue
        on accounts.account_id = revenue.account_id

)

select * from final
