{#-
    Leads handed back to marketing for nurturing, one row per lead that is neither converted nor
    deleted and that sales let go:

    - sla_missed: an MQL nobody in sales followed up within the target (lead_handoffs
      handoff_status 'never_followed_up'); nurture since the day the target passed (sla_due_at);
    - disqualified_timing / disqualified_no_response: disqualified by sales (lead_status
      'Unqualified') for 'Timing' or 'No Response'; nurture since the last sales activity with
      the person (else the MQL date, else the lead's creation). Not the lead's last-modified
      time: every update moves it, the write-back's own included, so the date (and the push of
      it) would change every night.

    A lead matching both takes the disqualification: sales did look at it in the end. Other
    disqualification reasons (no budget, not a fit, spam, ...) do not come back. The person's
    engagement score now and last marketing touch (int_people_scored) tell marketing who is
    warm.
-#}

with

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not coalesce(is_converted, false)
        and not coalesce(is_deleted, false)

),

links as (

    select
        record_id as lead_id,
        person_key
    from {{ ref('int_person_records_linked') }}
    where record_type = 'lead'

),

handoffs as (

    select * from {{ ref('lead_handoffs') }}

),

last_sales_touches as (

    select
        person_key,
        max(touched_at) as last_sales_touch_at
    from {{ ref('touchpoints') }}
    where touch_category = 'sales'
        and person_key is not null
    group by person_key

),

as_of as (

    select max(as_of_at) as as_of_at
    from {{ ref('int_touches_weighted') }}

),

reasons as (

    select
        leads.*,
        handoffs.sla_due_at,
        last_sales_touches.last_sales_touch_at,
        case
            when leads.lead_status = 'Unqualified' and leads.disqualification_reason = 'Timing'
                then 'disqualified_timing'
            when
                leads.lead_status = 'Unqualified'
                and leads.disqualification_reason = 'No Response'
                then 'disqualified_no_response'
            when handoffs.handoff_status = 'never_followed_up' then 'sla_missed'
        end as nurture_reason
    from leads
    left join handoffs
        on leads.lead_id = handoffs.lead_id
    left join links as lead_links
        on leads.lead_id = lead_links.lead_id
    left join last_sales_touches
        on lead_links.person_key = last_sales_touches.person_key

),

nurtured as (

    select
        *,
        case
            when nurture_reason = 'sla_missed' then cast(sla_due_at as date)
            else cast(coalesce(last_sales_touch_at, mql_at, created_at) as date)
        end as nurture_since
    from reasons
    where nurture_reason is not null

),

final as (

    select
        -- ids
        nurtured.lead_id,
        links.person_key,
        people.account_id,
        nurtured.owner_user_id,

        -- strings
        nurtured.email,
        nurtured.first_name,
        nurtured.last_name,
        nurtured.company_name,
        nurtured.title,
        owners.user_name as owner_name,
        nurtured.nurture_reason,
        nurtured.lead_status,
        nurtured.disqualification_reason,
        coalesce(scored.first_touch_channel, '(no marketing touch)') as first_touch_channel,

        -- numerics
        coalesce(scored.engagement_score, 0) as engagement_score,

        -- dates
        nurtured.nurture_since,

        -- timestamps
        nurtured.mql_at,
        nurtured.sla_due_at,
        scored.last_marketing_touch_at,
        as_of.as_of_at

    from nurtured
    cross join as_of
    left join links
        on nurtured.lead_id = links.lead_id
    left join {{ ref('people') }} as people
        on links.person_key = people.person_key
    left join {{ ref('stg_crm__users') }} as owners
        on nurtured.owner_user_id = owners.user_id
    left join {{ ref('int_people_scored') }} as scored
        on links.person_key = scored.person_key

)

select * from final
