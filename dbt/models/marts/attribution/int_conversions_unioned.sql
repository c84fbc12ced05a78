{{ config(materialized='view', schema='intermediate') }}  {#- reads core: built after it -#}

{#-
    The conversions marketing gets credit for, one row each:
    - pipeline: an opportunity was created; value = its amount;
    - bookings: an opportunity was won; value = the won amount;
    - billed_revenue: a won opportunity's account paid; value = billed revenue (paid invoices,
      refunds netted) from the win for `attribution_billed_revenue_window_days` (default 365),
      and not beyond the account's next win, so no revenue is credited twice.
    All values in the reporting currency. Touches count only up to `converted_at`.
-#}

{%- set window = var('attribution_billed_revenue_window_days', 365) %}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

won as (

    select
        opportunity_id,
        account_id,
        won_at,
        lead(won_at) over (partition by account_id order by won_at, opportunity_id)
            as next_won_at
    from opportunities
    where is_won
        and won_at is not null

),

revenue_events as (

    select
        events.event_at,
        events.amount_reporting,
        customers.account_id
    from {{ ref('int_revenue_events_converted') }} as events
    inner join {{ ref('int_customers_matched') }} as customers
        on events.customer_id = customers.customer_id
    where events.event_type in ('invoice_paid', 'refund')
        and customers.account_id is not null

),

billed as (

    select
        won.opportunity_id,
        won.won_at,
        coalesce(sum(revenue_events.amount_reporting), 0) as billed_amount
    from won
    left join revenue_events
        on won.account_id = revenue_events.account_id
        and won.won_at <= revenue_events.event_at
        and revenue_events.event_at < {{ dbt.dateadd('day', window, 'won.won_at') }}
        and (won.next_won_at is null or won.next_won_at > revenue_events.event_at)
    group by won.opportunity_id, won.won_at

),

unioned as (

    select
        'pipeline' as conversion_type,
        opportunity_id,
        created_at as converted_at,
        amount_reporting as conversion_amount
    from opportunities

    union all

    select
        'bookings' as conversion_type,
        opportunity_id,
        won_at as converted_at,
        amount_reporting as conversion_amount
    from opportunities
    where is_won
        and won_at is not null

    union all

    select
        'billed_revenue' as conversion_type,
        opportunity_id,
        won_at as converted_at,
        billed_amount as conversion_amount
    from billed

),

final as (

    select
        -- ids
        {{ dbt.concat(["unioned.conversion_type", "':'", "unioned.opportunity_id"]) }}
            as conversion_id,
        unioned.opportunity_id,
        opportunities.account_id,

        -- strings
        unioned.conversion_type,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        cast(coalesce(unioned.conversion_amount, 0) as decimal(18, 2)) as conversion_amount,

        -- timestamps
        unioned.converted_at

    from unioned
    inner join opportunities
        on unioned.opportunity_id = opportunities.opportunity_id

)

select * from final
