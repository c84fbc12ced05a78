{#-
    Values written back to the Salesforce Opportunity, one row per opportunity:

    - sourced_by and sourcing_channel as opportunity_journeys defines them;
    - first_touch: 'channel · campaign name · YYYY-MM-DD' of its sourcing touch, else the first
      touch of its journey (int_opportunity_touches_summarised), at most 255 characters;
    - marketing_attributed_amount: the amount in the opportunity's own currency (Salesforce
      currency fields are in the record's currency) times the summed credit_fraction of its
      marketing touches for the opportunity conversion (attribution_credits, conversion_type
      'pipeline') under `return_attribution_model` (dbt var, default w_shaped); 0 when no
      marketing touch is credited. markov and shapley credit channels, not deals: under either
      the deal-level credit falls back to w_shaped;
    - last_sales_touch_at: the newest sales touch of the deal's people up to its close;
    - briefing: the open-opportunity briefing (sales_briefings), null once closed.
-#}

{%- set attribution_model = var('return_attribution_model') %}
{%- if attribution_model in ('markov', 'shapley') %}
    {%- set attribution_model = 'w_shaped' %}
{%- endif %}

with

opportunities as (

    select * from {{ ref('opportunities') }}

),

journeys as (

    select * from {{ ref('opportunity_journeys') }}

),

opportunity_touches as (

    select * from {{ ref('int_opportunity_touches_summarised') }}

),

credits as (

    select
        opportunity_id,
        sum(credit_fraction) as marketing_credit_fraction
    from {{ ref('attribution_credits') }}
    where conversion_type = 'pipeline'
        and attribution_model = '{{ attribution_model }}'
        and touchpoint_id is not null
    group by opportunity_id

),

briefings as (

    select
        opportunity_id,
        briefing
    from {{ ref('sales_briefings') }}
    where briefing_type = 'open_opportunity'

),

final as (

    select
        -- ids
        opportunities.opportunity_id,

        -- strings
        journeys.sourced_by,
        journeys.sourcing_channel,
        opportunity_touches.first_touch,
        opportunities.currency,
        briefings.briefing,

        -- numerics
        cast(
            {{ round_double(
                'coalesce(opportunities.amount * credits.marketing_credit_fraction, 0)', 2
            ) }} as decimal(18, 2)
        ) as marketing_attributed_amount,

        -- timestamps
        opportunity_touches.last_sales_touch_at

    from opportunities
    left join journeys
        on opportunities.opportunity_id = journeys.opportunity_id
    left join opportunity_touches
        on opportunities.opportunity_id = opportunity_touches.opportunity_id
    left join credits
        on opportunities.opportunity_id = credits.opportunity_id
    left join briefings
        on opportunities.opportunity_id = briefings.opportunity_id

)

select * from final
