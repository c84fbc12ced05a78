{#- Billed revenue (paid invoices) and collected revenue (successful charges), refunds netted,
    in the reporting currency, that followed each won opportunity: the account's money from the
    win until the account's next win. Money before an account's first win, or at accounts
    without a won deal, is not here (see customer_revenue). -#}

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

),

final as (

    select
        -- ids
        won.opportunity_id,
        won.account_id,

        -- numerics
        won.amount_reporting as won_amount,
        coalesce(
            sum(events.amount_reporting) filter (
                where events.event_type in ('invoice_paid', 'refund')
            ),
            0
        ) as billed_amount,
        coalesce(
            sum(events.amount_reporting) filter (
                where events.event_type in ('charge_succeeded', 'refund')
            ),
            0
        ) as collected_amount,
        count(events.revenue_event_id) filter (where events.event_type = 'invoice_paid')
            as paid_invoices,

        -- timestamps
        won.won_at,
        won.next_won_at,
        min(events.event_at) filter (where events.event_type = 'invoice_paid') as first_billed_at

    from won
    left join events
        on won.account_id = events.account_id
        and won.won_at <= events.event_at
        and (won.next_won_at is null or won.next_won_at > events.event_at)
    group by all

)

select * from final
