{#-
    What the data can see: one row per measure of the blind spots under the attribution, each
    with what it means for the figures above it (`consequence`). Counts are `affected` out of
    `total` (`share` = affected / total); money in the reporting currency where a measure has
    money (`affected_amount` out of `total_amount`).

    - anonymous_touches: touches on no known person (ad clicks whose click id no form
      captured). Visits before a lead that leave no record at all (organic search, referral,
      direct) cannot be counted by any warehouse and add to this blind spot.
    - deals_without_touch: deals none of whose people has a recorded touch.
    - deals_without_marketing_touch: deals no marketing touch of their people reached.
    - lead_deals_without_touch_before_lead: deals that came from a lead whose person has no
      recorded touch at or before the lead's creation (sales-sourced by the definition).
    - billed_not_matched: billed revenue (net) of billing customers matched to no CRM account,
      including money whose customer row was rejected at load ('(unknown customer)').
    - money_records_rejected: records of money-carrying tables (billing invoices, charges,
      refunds; CRM opportunities; ad spend) rejected at their file's current load; the amount
      is the money the rejected Stripe records state, converted at their month's rate, where
      readable.
-#}

with

touches as (

    select * from {{ ref('touchpoints') }}
    where not is_follow_up_of_ad_click

),

journeys as (

    select * from {{ ref('opportunity_journeys') }}

),

customers as (

    select * from {{ ref('customer_revenue') }}

),

current_loads as (

    select load_id from {{ ref('stg_meta__file_loads') }}

),

rejects as (

    select rejects.*
    from {{ ref('stg_meta__load_rejects') }} as rejects
    inner join current_loads
        on rejects.load_id = current_loads.load_id
    where rejects.table_name in (
            'raw_billing.invoices', 'raw_billing.charges', 'raw_billing.refunds',
            'raw_crm.opportunities', 'raw_ads.google_ads_campaign_stats',
            'raw_ads.meta_ads_insights', 'raw_ads.linkedin_ads_analytics'
        )

),

rates as (

    select * from {{ ref('int_exchange_rates_to_reporting') }}

),

rejected_money as (

    select
        count(*) as records,
        sum(rejects.stated_amount * rates.rate_to_reporting) as amount,
        count(*) filter (where rejects.stated_amount is null) as unreadable,
        count(*) filter (
            where rejects.stated_amount is not null and rates.rate_to_reporting is null
        ) as unconverted
    from rejects
    left join rates
        on rejects.currency = rates.currency
        and cast({{ dbt.date_trunc('month', 'rejects.record_created_at') }} as date)
        = rates.rate_month

),

measures as (

    select
        1 as sort_order,
        'anonymous_touches' as measure,
        'Touches on an anonymous person' as label,
        count(*) filter (where person_key is null) as affected,
        count(*) as total,
        cast(null as decimal(18, 2)) as affected_amount,
        cast(null as decimal(18, 2)) as total_amount,
        'They belong to no journey. Channels that act before a lead (ads clicked without a '
        || 'captured click id; organic, referral and direct visits leave no record at all) are '
        || 'under-credited by every model and under-represented as sourcing channels.'
            as consequence
    from touches

    union all

    select
        2 as sort_order,
        'deals_without_touch' as measure,
        'Deals with no recorded touch' as label,
        count(*) filter (where touches = 0) as affected,
        count(*) as total,
        coalesce(sum(amount_reporting) filter (where touches = 0), 0) as affected_amount,
        sum(amount_reporting) as total_amount,
        'Every model puts them in the (no marketing touch) bucket; sourcing calls them '
        || 'sales-sourced.' as consequence
    from journeys

    union all

    select
        3 as sort_order,
        'deals_without_marketing_touch' as measure,
        'Deals no marketing touch reached' as label,
        count(*) filter (where not is_marketing_influenced) as affected,
        count(*) as total,
        coalesce(
            sum(amount_reporting) filter (where not is_marketing_influenced), 0
        ) as affected_amount,
        sum(amount_reporting) as total_amount,
        'Their pipeline, bookings and billed revenue are not marketing return: shown apart, '
        || 'never in blended ROAS or CAC.' as consequence
    from journeys

    union all

    select
        4 as sort_order,
        'lead_deals_without_touch_before_lead' as measure,
        'Deals from a lead with no touch before the lead' as label,
        count(*) filter (where source_lead_id is not null and not is_marketing_sourced) as affected,
        count(*) filter (where source_lead_id is not null) as total,
        coalesce(
            sum(amount_reporting) filter (
                where source_lead_id is not null and not is_marketing_sourced
            ),
            0
        ) as affected_amount,
        sum(amount_reporting) filter (where source_lead_id is not null) as total_amount,
        'Sales-sourced by the definition (no marketing touch created the lead), although a '
        || 'lead exists: its origin (a form, an import, a list) was not recorded as a '
        || 'touch.' as consequence
    from journeys

    union all

    select
        5 as sort_order,
        'billed_not_matched' as measure,
        'Billed revenue matched to no CRM account' as label,
        count(*) filter (where not is_linked_to_crm) as affected,
        count(*) as total,
        coalesce(sum(billed_amount) filter (where not is_linked_to_crm), 0) as affected_amount,
        sum(billed_amount) as total_amount,
        'Counted in total billed, attributed to no deal and no channel: billed revenue in the '
        || 'return figures is lower by this much.' as consequence
    from customers

    union all

    select
        6 as sort_order,
        'money_records_rejected' as measure,
        'Money records rejected at load' as label,
        rejected_money.records as affected,
        cast(null as bigint) as total,
        rejected_money.amount as affected_amount,
        cast(null as decimal(18, 2)) as total_amount,
        'In no figure until the source is corrected and the file re-delivered (raw_meta.'
        || 'load_rejects names file, line, field and reason); the amount is what the rejected '
        || 'billing records state, where readable'
        || case
            when rejected_money.unreadable > 0
                then ' (' || rejected_money.unreadable || ' state no readable amount)'
            else ''
        end
        || case
            when rejected_money.unconverted > 0
                then ' (' || rejected_money.unconverted || ' in a currency without a rate)'
            else ''
        end
        || '.' as consequence
    from rejected_money

),

final as (

    select
        -- ids
        measure,

        -- strings
        label,
        consequence,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        sort_order,
        cast(affected as {{ dbt.type_bigint() }}) as affected,
        cast(total as {{ dbt.type_bigint() }}) as total,
        cast(affected as double) / nullif(total, 0) as share,
        cast(affected_amount as decimal(18, 2)) as affected_amount,
        cast(total_amount as decimal(18, 2)) as total_amount,
        cast(affected_amount as double) / nullif(total_amount, 0) as amount_share

    from measures

)

select * from final
