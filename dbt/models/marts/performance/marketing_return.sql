{#-
    Spend and return per attribution model, channel, campaign and month, in the reporting
    currency: every measure in the month it happened.
    - spend: marketing_spend (ad platforms and CRM campaign costs), the same under every model;
    - leads: people who became leads, credited under the model (int_leads_attributed), in the
      month of the lead;
    - opportunities / pipeline, won deals / bookings, billed revenue: attribution_credits
      (conversion types pipeline, bookings, billed_revenue), credited fractions and amounts,
      in the month of the conversion (opportunity created; won for bookings and billed
      revenue);
    - cost per lead, cost per opportunity, CAC (spend / won deals), ROAS on pipeline, bookings
      and billed revenue (amount / spend), payback months (spend / monthly recurring revenue
      of the won deals = bookings / `contract_term_months`, no gross margin). A division by
      zero is null.
    Credit without a campaign is on campaign '(no campaign)'; conversions without a marketing
    touch on channel '(no marketing touch)', so every model adds up to the attribution totals.
    is_default_model marks `return_attribution_model` (dbt var, default w_shaped).
-#}

{%- set contract_months = var('contract_term_months', 12) %}

with

campaigns as (

    select * from {{ ref('int_campaigns_unified') }}

),

models as (

    select distinct attribution_model from {{ ref('attribution_credits') }}
    union
    select distinct attribution_model from {{ ref('int_leads_attributed') }}

),

spend as (

    select
        channel,
        campaign_key,
        spend_month as activity_month,
        sum(spend_amount_reporting) as spend_amount
    from {{ ref('marketing_spend') }}
    group by channel, campaign_key, spend_month

),

spend_by_model as (

    select
        models.attribution_model,
        spend.*
    from spend
    cross join models

),

lead_credits as (

    select
        attribution_model,
        channel,
        coalesce(campaign_key, '(no campaign)') as campaign_key,
        cast({{ dbt.date_trunc('month', 'lead_created_at') }} as date) as activity_month,
        {{ exact_sum('credit_fraction') }} as leads
    from {{ ref('int_leads_attributed') }}
    group by all

),

conversion_credits as (

    select
        credits.attribution_model,
        credits.channel,
        coalesce(campaigns.campaign_key, '(no campaign)') as campaign_key,
        cast({{ dbt.date_trunc('month', 'credits.converted_at') }} as date) as activity_month,
        {{ exact_sum('credits.credit_fraction') }}
        filter (where credits.conversion_type = 'pipeline')
            as opportunities,
        sum(credits.credited_amount) filter (where credits.conversion_type = 'pipeline')
            as pipeline_amount,
        {{ exact_sum('credits.credit_fraction') }}
        filter (where credits.conversion_type = 'bookings')
            as won_deals,
        sum(credits.credited_amount) filter (where credits.conversion_type = 'bookings')
            as bookings_amount,
        sum(credits.credited_amount) filter (where credits.conversion_type = 'billed_revenue')
            as billed_revenue_amount
    from {{ ref('attribution_credits') }} as credits
    left join campaigns
        on campaigns.source_campaign_key = coalesce(
            credits.ad_campaign_key,
            {{ dbt.concat(["'crm:'", "credits.crm_campaign_id"]) }}
        )
    group by all

),

grain as (

    select
        attribution_model,
        channel,
        campaign_key,
        activity_month
    from spend_by_model
    union
    select
        attribution_model,
        channel,
        campaign_key,
        activity_month
    from lead_credits
    union
    select
        attribution_model,
        channel,
        campaign_key,
        activity_month
    from conversion_credits

),

joined as (

    select
        grain.*,
        coalesce(spend_by_model.spend_amount, 0) as spend_amount,
        coalesce(lead_credits.leads, 0) as leads,
        coalesce(conversion_credits.opportunities, 0) as opportunities,
        coalesce(conversion_credits.pipeline_amount, 0) as pipeline_amount,
        coalesce(conversion_credits.won_deals, 0) as won_deals,
        coalesce(conversion_credits.bookings_amount, 0) as bookings_amount,
        coalesce(conversion_credits.billed_revenue_amount, 0) as billed_revenue_amount
    from grain
    left join spend_by_model
        on grain.attribution_model = spend_by_model.attribution_model
        and grain.channel = spend_by_model.channel
        and grain.campaign_key = spend_by_model.campaign_key
        and grain.activity_month = spend_by_model.activity_month
    left join lead_credits
        on grain.attribution_model = lead_credits.attribution_model
        and grain.channel = lead_credits.channel
        and grain.campaign_key = lead_credits.campaign_key
        and grain.activity_month = lead_credits.activity_month
    left join conversion_credits
        on grain.attribution_model = conversion_credits.attribution_model
        and grain.channel = conversion_credits.channel
        and grain.campaign_key = conversion_credits.campaign_key
        and grain.activity_month = conversion_credits.activity_month

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "joined.attribution_model", "':'", "joined.channel", "':'", "joined.campaign_key",
            "':'", "cast(joined.activity_month as " ~ dbt.type_string() ~ ")"
        ]) }} as marketing_return_key,
        joined.campaign_key,

        -- strings
        joined.attribution_model,
        joined.channel,
        coalesce(campaigns.campaign_name, joined.campaign_key) as campaign_name,
        coalesce(campaigns.platform, '(none)') as campaign_platform,
        '{{ var("reporting_currency") }}' as reporting_currency,

        -- numerics
        cast(joined.spend_amount as decimal(18, 2)) as spend_amount,
        cast(joined.leads as double) as leads,
        cast(joined.opportunities as double) as opportunities,
        cast(joined.pipeline_amount as decimal(18, 2)) as pipeline_amount,
        cast(joined.won_deals as double) as won_deals,
        cast(joined.bookings_amount as decimal(18, 2)) as bookings_amount,
        cast(joined.billed_revenue_amount as decimal(18, 2)) as billed_revenue_amount,
        {{ return_ratios('joined', contract_months) }},

        -- booleans
        joined.attribution_model = '{{ var("return_attribution_model") }}' as is_default_model,

        -- dates
        joined.activity_month

    from joined
    left join campaigns
        on joined.campaign_key = campaigns.source_campaign_key

)

select * from final
