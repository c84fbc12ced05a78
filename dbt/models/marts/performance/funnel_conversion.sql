{#-
    Funnel conversion per dimension value: how many leads (funnel_leads: people, duplicates
    merged) reached each stage, the stage-to-stage conversion rates and the median days between
    consecutive stages. Dimensions: overall, first_touch_channel, lead_source, campaign (the
    lead's first campaign) and cohort_month (month the lead was created). Counts use the
    has_reached_* flags, so a stage never counts more leads than the stage before it; medians
    use only leads with both stage timestamps. Rates are null where the earlier stage is empty.
-#}

{%- set stages = ['lead', 'mql', 'sal', 'sql', 'opportunity', 'won', 'first_payment'] %}
{%- set counts = ['leads', 'mqls', 'sals', 'sqls', 'opportunities', 'won', 'first_payments'] %}

with

leads as (

    select * from {{ ref('funnel_leads') }}

),

dimensioned as (

    select
        'overall' as dimension_type,
        '(all)' as dimension_value,
        '(all)' as dimension_label,
        leads.*
    from leads

    union all

    select
        'first_touch_channel' as dimension_type,
        first_touch_channel as dimension_value,
        first_touch_channel as dimension_label,
        leads.*
    from leads

    union all

    select
        'lead_source' as dimension_type,
        lead_source as dimension_value,
        lead_source as dimension_label,
        leads.*
    from leads

    union all

    select
        'campaign' as dimension_type,
        coalesce(first_campaign_key, '(no campaign)') as dimension_value,
        coalesce(first_campaign_name, '(no campaign)') as dimension_label,
        leads.*
    from leads

    union all

    select
        'cohort_month' as dimension_type,
        cast(cohort_month as {{ dbt.type_string() }}) as dimension_value,
        cast(cohort_month as {{ dbt.type_string() }}) as dimension_label,
        leads.*
    from leads

),

aggregated as (

    select
        dimension_type,
        dimension_value,
        min(dimension_label) as dimension_label,
        {%- for stage in stages %}
        count(*) filter (where has_reached_{{ stage }}) as {{ counts[loop.index0] }},
        {%- endfor %}
        {%- for stage in stages[1:] %}
        {%- set name = stages[loop.index0] ~ '_to_' ~ stage %}
        percentile_cont(0.5) within group (order by days_{{ name }}) as median_days_{{ name }},
        {%- endfor %}
        min(lead_created_at) as first_lead_created_at,
        max(lead_created_at) as last_lead_created_at
    from dimensioned
    group by dimension_type, dimension_value

),

final as (

    select
        -- ids
        {{ dbt.concat(["dimension_type", "':'", "dimension_value"]) }} as funnel_conversion_key,

        -- strings
        dimension_type,
        dimension_value,
        dimension_label,

        -- numerics
        {%- for count in counts %}
        {{ count }},
        {%- endfor %}
        {%- for stage in stages[1:] %}
        {%- set name = stages[loop.index0] ~ '_to_' ~ stage %}
        cast({{ counts[loop.index] }} as double) / nullif({{ counts[loop.index0] }}, 0)
            as {{ name }}_rate,
        {%- endfor %}
        cast(won as double) / nullif(leads, 0) as lead_to_won_rate,
        {%- for stage in stages[1:] %}
        {%- set name = stages[loop.index0] ~ '_to_' ~ stage %}
        median_days_{{ name }},
        {%- endfor %}

        -- timestamps
        first_lead_created_at,
        last_lead_created_at

    from aggregated

)

select * from final
