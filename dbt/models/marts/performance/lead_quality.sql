{#-
    Lead quality by where leads came from: per channel (the lead's first-touch channel) and per
    campaign (its first campaign), one row per disqualification reason plus one row
    '(not disqualified)' for the other leads, so the reason rows of a dimension value add up to
    its leads. Each row also carries the dimension value's totals: leads, disqualified leads,
    disqualification rate, MQL and SQL rates. Leads are funnel_leads (people, duplicates
    merged); a lead is disqualified when one of its lead records was (status Unqualified or a
    reason given) and it never reached SQL.
-#}

with

leads as (

    select * from {{ ref('funnel_leads') }}

),

dimensioned as (

    select
        'channel' as dimension_type,
        leads.first_touch_channel as dimension_value,
        leads.first_touch_channel as dimension_label,
        leads.*
    from leads

    union all

    select
        'campaign' as dimension_type,
        coalesce(first_campaign_key, '(no campaign)') as dimension_value,
        coalesce(first_campaign_name, '(no campaign)') as dimension_label,
        leads.*
    from leads

),

totals as (

    select
        dimension_type,
        dimension_value,
        min(dimension_label) as dimension_label,
        count(*) as leads,
        count(*) filter (where is_disqualified) as disqualified_leads,
        count(*) filter (where has_reached_mql) as mqls,
        count(*) filter (where has_reached_sql) as sqls
    from dimensioned
    group by dimension_type, dimension_value

),

reasons as (

    select
        dimension_type,
        dimension_value,
        case
            when is_disqualified then disqualification_reason
            else '(not disqualified)'
        end as disqualification_reason,
        count(*) as reason_leads
    from dimensioned
    group by all

),

final as (

    select
        -- ids
        {{ dbt.concat([
            "reasons.dimension_type", "':'", "reasons.dimension_value", "':'",
            "reasons.disqualification_reason"
        ]) }} as lead_quality_key,

        -- strings
        reasons.dimension_type,
        reasons.dimension_value,
        totals.dimension_label,
        reasons.disqualification_reason,

        -- numerics
        reasons.reason_leads,
        cast(reasons.reason_leads as double) / nullif(totals.leads, 0) as share_of_leads,
        case
            when reasons.disqualification_reason <> '(not disqualified)'
                then cast(reasons.reason_leads as double) / nullif(totals.disqualified_leads, 0)
        end as share_of_disqualified,
        totals.leads,
        totals.disqualified_leads,
        cast(totals.disqualified_leads as double) / nullif(totals.leads, 0)
            as disqualification_rate,
        cast(totals.mqls as double) / nullif(totals.leads, 0) as mql_rate,
        cast(totals.sqls as double) / nullif(totals.leads, 0) as sql_rate,

        -- booleans
        reasons.disqualification_reason <> '(not disqualified)' as is_disqualification

    from reasons
    inner join totals
        on reasons.dimension_type = totals.dimension_type
        and reasons.dimension_value = totals.dimension_value

)

select * from final
