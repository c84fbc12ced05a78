{#-
    Values written back to the Salesforce Lead, one row per lead that is neither converted nor
    deleted (a converted lead is read-only in Salesforce): the person's engagement score now
    (int_people_scored, 1 decimal; null when 0 or no marketing touch), the channel and text of
    their first marketing touch ('(no marketing touch)' without one) and, for leads handed back
    to marketing, the nurture reason and date (nurture_leads).
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

final as (

    select
        -- ids
        leads.lead_id,

        -- strings
        coalesce(scored.first_touch_channel, '(no marketing touch)') as sourcing_channel,
        scored.first_touch,
        nurture.nurture_reason,

        -- numerics
        nullif({{ round_double('scored.engagement_score', 1) }}, 0) as engagement_score,

        -- dates
        nurture.nurture_since

    from leads
    left join links
        on leads.lead_id = links.lead_id
    left join {{ ref('int_people_scored') }} as scored
        on links.person_key = scored.person_key
    left join {{ ref('nurture_leads') }} as nurture
        on leads.lead_id = nurture.lead_id

)

select * from final
