{{ config(materialized='table') }}  {#- read by several models and tests: computed once per run -#}

{#-
    Ties every record that stands for a person to one person key, and keeps the rule that tied
    it. Anchors are CRM people: a contact, or a lead that was never converted. A converted lead
    takes its contact's anchor; the anchor is the (normalised) email when there is one, so
    duplicate leads and the same address typed differently fall together. Other records reach
    an anchor through an explicit id first (lead id on a form, recipient id of an email event,
    lead / contact of a campaign member, who-id of a task), then through the email, then through
    the anonymous visitor id of an earlier identified form, and ad clicks through the click id a
    form captured. Records that reach no anchor keep a null person key (anonymous).
-#}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}
    where not coalesce(is_deleted, false)

),

leads as (

    select * from {{ ref('stg_crm__leads') }}
    where not coalesce(is_deleted, false)

),

-- a contact without an email borrows the email of a lead converted into it
contact_anchors as (

    select
        contacts.contact_id,
        coalesce(
            'email:' || contacts.email,
            'email:' || min(leads.email),
            'contact:' || contacts.contact_id
        ) as anchor,
        max(greatest(contacts.loaded_at, coalesce(leads.loaded_at, contacts.loaded_at)))
            as anchor_loaded_at
    from contacts
    left join leads
        on contacts.contact_id = leads.converted_contact_id
    group by contacts.contact_id, contacts.email

),

-- every email a converted person uses: the contact's own and those of leads converted into it
converted_email_candidates as (

    select
        contacts.email,
        contact_anchors.anchor,
        contact_anchors.anchor_loaded_at,
        1 as preference
    from contacts
    inner join contact_anchors
        on contacts.contact_id = contact_anchors.contact_id
    where contacts.email is not null

    union all

    select
        leads.email,
        contact_anchors.anchor,
        contact_anchors.anchor_loaded_at,
        2 as preference
    from leads
    inner join contact_anchors
        on leads.converted_contact_id = contact_anchors.contact_id
    where leads.email is not null

),

converted_emails as (

    select
        email,
        anchor,
        anchor_loaded_at
    from converted_email_candidates
    qualify row_number() over (partition by email order by preference, anchor) = 1

),

-- a converted lead is its contact's person; an unconverted lead (a duplicate, say) joins the
-- converted person with the same email, else anchors a person of its own
lead_anchors as (

    select
        leads.lead_id,
        leads.email,
        coalesce(
            contact_anchors.anchor,
            converted_emails.anchor,
            'email:' || leads.email,
            'lead:' || leads.lead_id
        ) as anchor,
        case
            when contact_anchors.anchor is not null then 'lead_conversion'
            when converted_emails.anchor is not null then 'email'
            else 'self'
        end as match_rule,
        greatest(
            leads.loaded_at,
            coalesce(
                contact_anchors.anchor_loaded_at,
                converted_emails.anchor_loaded_at,
                leads.loaded_at
            )
        ) as anchor_loaded_at
    from leads
    left join contact_anchors
        on leads.converted_contact_id = contact_anchors.contact_id
    left join converted_emails
        on contact_anchors.anchor is null
        and leads.email = converted_emails.email

),

crm_people as (

    select
        'contact' as record_type,
        contact_anchors.contact_id as record_id,
        contact_anchors.anchor,
        'self' as match_rule,
        contact_anchors.anchor_loaded_at
    from contact_anchors

    union all

    select
        'lead' as record_type,
        lead_id as record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from lead_anchors

),

-- every email a CRM person uses points at that person (converted people win)
email_anchor_candidates as (

    select
        email,
        anchor,
        anchor_loaded_at,
        1 as preference
    from converted_emails

    union all

    select
        email,
        anchor,
        anchor_loaded_at,
        2 as preference
    from lead_anchors
    where email is not null

),

email_anchors as (

    select
        email,
        anchor,
        anchor_loaded_at
    from email_anchor_candidates
    qualify row_number() over (partition by email order by preference, anchor) = 1

),

forms_resolved as (

    select
        forms.form_submission_id,
        forms.visitor_id,
        forms.click_id,
        forms.submitted_at,
        coalesce(by_lead.anchor, by_email.anchor) as anchor,
        case
            when by_lead.anchor is not null then 'lead_id'
            when by_email.anchor is not null then 'email'
        end as match_rule,
        greatest(
            forms.loaded_at,
            coalesce(by_lead.anchor_loaded_at, by_email.anchor_loaded_at, forms.loaded_at)
        ) as anchor_loaded_at
    from {{ ref('stg_crm__form_submissions') }} as forms
    left join crm_people as by_lead
        on by_lead.record_type = 'lead'
        and forms.lead_id = by_lead.record_id
    left join email_anchors as by_email
        on forms.email = by_email.email

),

-- an anonymous visitor id belongs to the person of its earliest identified form
visitor_anchors as (

    select
        visitor_id,
        anchor,
        anchor_loaded_at
    from forms_resolved
    where visitor_id is not null
        and anchor is not null
    qualify row_number() over (
            partition by visitor_id order by submitted_at, form_submission_id
        ) = 1

),

forms as (

    select
        'form_submission' as record_type,
        forms_resolved.form_submission_id as record_id,
        coalesce(forms_resolved.anchor, visitor_anchors.anchor) as anchor,
        coalesce(
            forms_resolved.match_rule,
            case when visitor_anchors.anchor is not null then 'visitor_id' end
        ) as match_rule,
        coalesce(forms_resolved.anchor_loaded_at, visitor_anchors.anchor_loaded_at)
            as anchor_loaded_at,
        forms_resolved.click_id
    from forms_resolved
    left join visitor_anchors
        on forms_resolved.anchor is null
        and forms_resolved.visitor_id = visitor_anchors.visitor_id

),

-- ad clicks are identified only through the click id a form captured
click_anchors as (

    select
        click_id,
        anchor,
        anchor_loaded_at
    from forms
    where click_id is not null
        and anchor is not null
    qualify row_number() over (partition by click_id order by record_id) = 1

),

ad_clicks as (

    {% for platform in ['google_ads', 'meta_ads', 'linkedin_ads'] %}
    select
        'ad_click' as record_type,
        clicks.click_id as record_id,
        click_anchors.anchor,
        case when click_anchors.anchor is not null then 'click_id' end as match_rule,
        coalesce(click_anchors.anchor_loaded_at, clicks.loaded_at) as anchor_loaded_at
    from {{ ref('stg_ads__' ~ platform ~ '_clicks') }} as clicks
    left join click_anchors
        on clicks.click_id = click_anchors.click_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

email_events as (

    select
        'email_event' as record_type,
        events.email_event_id as record_id,
        coalesce(by_id.anchor, by_email.anchor) as anchor,
        case
            when by_id.anchor is not null then 'recipient_id'
            when by_email.anchor is not null then 'email'
        end as match_rule,
        greatest(
            events.loaded_at,
            coalesce(by_id.anchor_loaded_at, by_email.anchor_loaded_at, events.loaded_at)
        ) as anchor_loaded_at
    from {{ ref('stg_crm__email_events') }} as events
    left join crm_people as by_id
        on events.recipient_id = by_id.record_id
    left join email_anchors as by_email
        on events.email = by_email.email

),

campaign_members as (

    select
        'campaign_member' as record_type,
        members.campaign_member_id as record_id,
        coalesce(by_contact.anchor, by_lead.anchor) as anchor,
        case
            when by_contact.anchor is not null then 'member_contact_id'
            when by_lead.anchor is not null then 'member_lead_id'
        end as match_rule,
        greatest(
            members.loaded_at,
            coalesce(by_contact.anchor_loaded_at, by_lead.anchor_loaded_at, members.loaded_at)
        ) as anchor_loaded_at
    from {{ ref('stg_crm__campaign_members') }} as members
    left join crm_people as by_contact
        on by_contact.record_type = 'contact'
        and members.contact_id = by_contact.record_id
    left join crm_people as by_lead
        on by_lead.record_type = 'lead'
        and members.lead_id = by_lead.record_id

),

tasks as (

    select
        'sales_activity' as record_type,
        tasks.activity_id as record_id,
        who.anchor,
        case when who.anchor is not null then 'who_id' end as match_rule,
        greatest(tasks.loaded_at, coalesce(who.anchor_loaded_at, tasks.loaded_at))
            as anchor_loaded_at
    from {{ ref('stg_crm__tasks') }} as tasks
    left join crm_people as who
        on tasks.who_id = who.record_id
    where not coalesce(tasks.is_deleted, false)

),

unioned as (

    select
        record_type,
        record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from crm_people
    union all
    select
        record_type,
        record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from forms
    union all
    select
        record_type,
        record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from ad_clicks
    union all
    select
        record_type,
        record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from email_events
    union all
    select
        record_type,
        record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from campaign_members
    union all
    select
        record_type,
        record_id,
        anchor,
        match_rule,
        anchor_loaded_at
    from tasks

),

final as (

    select
        -- ids
        {{ dbt.concat(["record_type", "':'", "record_id"]) }} as record_key,
        record_type,
        record_id,
        case when anchor is not null then {{ dbt.hash("anchor") }} end as person_key,

        -- strings
        coalesce(match_rule, 'unmatched') as match_rule,

        -- timestamps
        anchor_loaded_at as identity_loaded_at

    from unioned

)

select * from final
