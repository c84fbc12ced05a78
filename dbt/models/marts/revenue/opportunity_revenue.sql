{#- Billed revenue (paid invoices, refunds netted, reporting currency) that followed each won
    opportunity: the account's billing from the win until the account's next win. Revenue
    billed before an account's first win, or at accounts without a won deal, is not here (see
    customer_revenue). -#}

with

won as (

    select
        opportunity_id,
        account_id,
        won_at,
        amount_reporting,
        lead(won_at) over (partition by account_id order by won_at, opportunity_id)
            as next_won_at
    from {{ ref('opportunities') }}
    where is_won
        and won_at is not null

),

events as (

    select
        events.*,
        customers.account_id
    from {{ ref('int_revenue_events_converted') }} as events
    inner join {{ ref('int_customers_matched') }} as customers
        on events.customer_id = customers.customer_id
    where customers.account_id is not null
        and events.event_type in ('invoice_paid', 'refund')

),

final as (

    select
        -- ids
        won.opportunity_id,
        won.account_id,

        -- numerics
        won.amount_reporting as won_amount,
        coalesce(sum(events.amount_reporting), 0) as billed_amount,
        count(events.revenue_event_id) filter (where events.event_type = 'invoice_paid')
            as paid_invoices,

        -- timestamps
        won.won_at,
        won.next_won_at,
        min(events.event_at) as first_billed_at

    from won
    left join events
        on events.account_id = won.account_id
        and events.event_at >= won.won_at
        and (won.next_won_at is null or events.event_at < won.next_won_at)
    group by all

)

select * from final
