{#-
    The lifecycle funnel, one row per person who became a lead (duplicate leads of one person
    count once: their stages are merged): lead -> MQL -> SAL -> SQL -> opportunity -> won ->
    first payment, with each stage's timestamp, the days between consecutive stages and where
    the lead came from (first touch, lead source, first campaign, cohort month).

    - Lead, MQL, SAL, SQL: the earliest such date on any of the person's leads.
    - Opportunity: the first opportunity created at or after the person's first lead that the
      person is on (a contact role, or the deal their lead's conversion created); a deal that
      existed before the person was a lead is not a result of this funnel.
    - Won: the first win among those opportunities; first payment: the first paid invoice of
      that won deal (opportunity_revenue).
    - Skipped stages: a lead that reached a stage counts as having passed every stage before
      it (has_reached_* flags), so stage counts never grow down the funnel; the skipped stage
      keeps a null timestamp and no interval.
-#}

with

person_leads as (

    select
        *,
        lead_status = 'Unqualified' or disqualification_reason is not null
            as is_disqualified_lead
    from {{ ref('int_person_leads_linked') }}

),

people as (

    select
        person_key,
        {{ first_by('lead_id', ['created_at', 'lead_id']) }} as lead_id,
        {{ first_by('owner_user_id', ['created_at', 'lead_id']) }} as owner_user_id,
        {{ first_by('lead_source', ['created_at', 'lead_id']) }} as lead_source,
        count(*) as lead_count,
        min(created_at) as lead_created_at,
        min(mql_at) as mql_at,
        min(sal_at) as sal_at,
        min(sql_at) as sql_at,
        coalesce(bool_or(is_disqualified_lead), false) as has_disqualified_lead,
        {{ last_by(
            "coalesce(disqualification_reason, '(no reason given)')", ['created_at', 'lead_id']
        ) }}
        filter (where is_disqualified_lead) as disqualification_reason
    from person_leads
    group by person_key

),

opportunities as (

    select
        opportunity_id,
        created_at,
        -- a won deal without stage history was won on its close date
        case
            when is_won then coalesce(won_at, cast(close_date as timestamp))
        end as won_at
    from {{ ref('opportunities') }}

),

-- the deals a person is on: contact roles, and the deal their lead's conversion created
person_opportunities as (

    select
        person_key,
        opportunity_id
    from {{ ref('int_opportunity_people_linked') }}

    union

    select
        person_key,
        converted_opportunity_id as opportunity_id
    from person_leads
    where converted_opportunity_id is not null

),

funnel_opportunities as (

    select
        people.person_key,
        {{ first_by(
            'opportunities.opportunity_id',
            ['opportunities.created_at', 'opportunities.opportunity_id']
        ) }}
            as opportunity_id,
        min(opportunities.created_at) as opportunity_created_at,
        {{ first_by(
            'opportunities.opportunity_id',
            ['opportunities.won_at', 'opportunities.opportunity_id']
        ) }}
        filter (where opportunities.won_at is not null) as won_opportunity_id,
        min(opportunities.won_at) as won_at
    from people
    inner join person_opportunities
        on people.person_key = person_opportunities.person_key
    inner join opportunities
        on person_opportunities.opportunity_id = opportunities.opportunity_id
    where opportunities.created_at >= people.lead_created_at
    group by people.person_key

),

-- where the lead came from: its first eligible touch and first touch with a campaign
-- (int_leads_attributed: touches from journey_lookback_days before the lead up to it)
origins as (

    select
        person_key,
        {{ first_by('channel', 'touch_position') }} as first_touch_channel,
        {{ first_by('sub_channel', 'touch_position') }} as first_touch_sub_channel,
        min(touched_at) as first_touch_at,
        {{ first_by('campaign_key', 'touch_position') }} filter (where campaign_key is not null)
            as first_campaign_key
    from {{ ref('int_leads_attributed') }}
    where attribution_model = 'linear'
    group by person_key

),

campaigns as (

    select
        campaign_key,
        campaign_name,
        channel
    from {{ ref('int_campaigns_unified') }}
    where is_primary_record

),

stages as (

    select
        people.*,
        funnel_opportunities.opportunity_id,
        funnel_opportunities.opportunity_created_at,
        funnel_opportunities.won_opportunity_id,
        funnel_opportunities.won_at,
        revenue.first_billed_at as first_payment_at
    from people
    left join funnel_opportunities
        on people.person_key = funnel_opportunities.person_key
    left join {{ ref('opportunity_revenue') }} as revenue
        on funnel_opportunities.won_opportunity_id = revenue.opportunity_id

),

reached as (

    select
        *,
        first_payment_at is not null as has_reached_first_payment,
        won_at is not null or first_payment_at is not null as has_reached_won,
        opportunity_created_at is not null
        or won_at is not null
        or first_payment_at is not null as has_reached_opportunity
    from stages

),

reached_upper as (

    select
        *,
        sql_at is not null or has_reached_opportunity as has_reached_sql
    from reached

),

reached_middle as (

    select
        *,
        sal_at is not null or has_reached_sql as has_reached_sal
    from reached_upper

),

reached_all as (

    select
        *,
        mql_at is not null or has_reached_sal as has_reached_mql
    from reached_middle

),

final as (

    select
        -- ids
        reached_all.person_key,
        reached_all.lead_id,
        reached_all.owner_user_id,
        reached_all.opportunity_id,
        reached_all.won_opportunity_id,
        origins.first_campaign_key,

        -- strings
        coalesce(origins.first_touch_channel, '(no marketing touch)') as first_touch_channel,
        coalesce(origins.first_touch_sub_channel, '(no marketing touch)')
            as first_touch_sub_channel,
        coalesce(reached_all.lead_source, '(none)') as lead_source,
        campaigns.campaign_name as first_campaign_name,
        case
            when reached_all.has_reached_first_payment then 'first_payment'
            when reached_all.has_reached_won then 'won'
            when reached_all.has_reached_opportunity then 'opportunity'
            when reached_all.has_reached_sql then 'sql'
            when reached_all.has_reached_sal then 'sal'
            when reached_all.has_reached_mql then 'mql'
            else 'lead'
        end as furthest_stage,
        case
            when reached_all.has_disqualified_lead and not reached_all.has_reached_sql
                then reached_all.disqualification_reason
        end as disqualification_reason,

        -- numerics
        reached_all.lead_count,
        {%- for name, start, stop in [
            ('lead_to_mql', 'lead_created_at', 'mql_at'),
            ('mql_to_sal', 'mql_at', 'sal_at'),
            ('sal_to_sql', 'sal_at', 'sql_at'),
            ('sql_to_opportunity', 'sql_at', 'opportunity_created_at'),
            ('opportunity_to_won', 'opportunity_created_at', 'won_at'),
            ('won_to_first_payment', 'won_at', 'first_payment_at'),
        ] %}
        {{ dbt.datediff('reached_all.' ~ start, 'reached_all.' ~ stop, 'second') }}
        / cast(86400 as double)
            as days_{{ name }},
        {%- endfor %}

        -- booleans
        true as has_reached_lead,
        reached_all.has_reached_mql,
        reached_all.has_reached_sal,
        reached_all.has_reached_sql,
        reached_all.has_reached_opportunity,
        reached_all.has_reached_won,
        reached_all.has_reached_first_payment,
        reached_all.has_disqualified_lead and not reached_all.has_reached_sql
            as is_disqualified,

        -- dates
        cast({{ dbt.date_trunc('month', 'reached_all.lead_created_at') }} as date)
            as cohort_month,

        -- timestamps
        origins.first_touch_at,
        reached_all.lead_created_at,
        reached_all.mql_at,
        reached_all.sal_at,
        reached_all.sql_at,
        reached_all.opportunity_created_at,
        reached_all.won_at,
        reached_all.first_payment_at

    from reached_all
    left join origins
        on reached_all.person_key = origins.person_key
    left join campaigns
        on origins.first_campaign_key = campaigns.campaign_key

)

select * from final
