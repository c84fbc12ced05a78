{#- One row per opportunity: its stage history, outcome and amount in the reporting currency. -#}

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}
    where not coalesce(is_deleted, false)

),

history as (

    select
        opportunity_id,
        min(changed_at) filter (where stage_name = 'Prospecting') as prospecting_at,
        min(changed_at) filter (where stage_name = 'Qualification') as qualification_at,
        min(changed_at) filter (where stage_name = 'Proposal') as proposal_at,
        min(changed_at) filter (where stage_name = 'Negotiation') as negotiation_at,
        min(changed_at) filter (where stage_name in ('Closed Won', 'Closed Lost')) as closed_at,
        count(*) as stage_changes
    from {{ ref('stg_crm__opportunity_stage_history') }}
    group by opportunity_id

),

rates as (

    select * from {{ ref('int_exchange_rates_to_reporting') }}

),

accounts as (

    select
        account_id,
        account_name
    from {{ ref('stg_crm__accounts') }}

),

final as (

    select
        -- ids
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.primary_campaign_id,
        opportunities.owner_user_id,

        -- strings
        opportunities.opportunity_name,
        accounts.account_name,
        opportunities.opportunity_type,
        opportunities.lead_source,
        opportunities.stage_name,
        case
            when opportunities.is_won then 'won'
            when opportunities.is_closed then 'lost'
            else 'open'
        end as outcome,
        opportunities.loss_reason,
        opportunities.currency,
        rates.reporting_currency,

        -- numerics
        opportunities.amount,
        {{ round_money('opportunities.amount', 'rates.rate_to_reporting') }} as amount_reporting,
        opportunities.probability,
        coalesce(history.stage_changes, 0) as stage_changes,
        case
            when opportunities.is_closed
                then {{ dbt.datediff('opportunities.created_at', 'opportunities.close_date', 'day') }}  -- noqa: LT05
        end as days_to_close,

        -- booleans
        opportunities.is_closed,
        opportunities.is_won,

        -- dates
        opportunities.close_date,

        -- timestamps
        opportunities.created_at,
        history.prospecting_at,
        history.qualification_at,
        history.proposal_at,
        history.negotiation_at,
        history.closed_at,
        case when opportunities.is_won then history.closed_at end as won_at

    from opportunities
    left join history
        on opportunities.opportunity_id = history.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join rates
        on opportunities.currency = rates.currency
        and cast({{ dbt.date_trunc('month', 'opportunities.created_at') }} as date)
        = rates.rate_month

)

select * from final
