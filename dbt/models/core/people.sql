{#- One row per resolved person: who they are, their account, and their first touch. -#}

with

persons as (

    select * from {{ ref('int_persons_resolved') }}

),

first_touches as (

    select
        person_key,
        touched_at as first_touch_at,
        channel as first_touch_channel,
        sub_channel as first_touch_sub_channel
    from {{ ref('touchpoints') }}
    where person_key is not null
        and is_marketing_touch
    qualify row_number() over (partition by person_key order by touched_at, touchpoint_id) = 1

),

touch_counts as (

    select
        person_key,
        count(*) filter (where is_marketing_touch) as marketing_touches,
        count(*) filter (where not is_marketing_touch) as sales_touches
    from {{ ref('touchpoints') }}
    where person_key is not null
    group by person_key

),

final as (

    select
        -- ids
        persons.person_key,
        persons.contact_id,
        persons.account_id,

        -- strings
        persons.email,
        persons.email_domain,
        persons.first_name,
        persons.last_name,
        persons.title,
        persons.account_match_rule,
        first_touches.first_touch_channel,
        first_touches.first_touch_sub_channel,

        -- numerics
        persons.lead_count,
        persons.contact_count,
        coalesce(touch_counts.marketing_touches, 0) as marketing_touches,
        coalesce(touch_counts.sales_touches, 0) as sales_touches,

        -- booleans
        persons.is_free_mail,
        persons.contact_id is not null as is_contact,

        -- timestamps
        first_touches.first_touch_at,
        persons.first_lead_created_at,
        persons.first_seen_at

    from persons
    left join first_touches
        on persons.person_key = first_touches.person_key
    left join touch_counts
        on persons.person_key = touch_counts.person_key

)

select * from final
