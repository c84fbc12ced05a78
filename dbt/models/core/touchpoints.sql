{{ incremental_by_content_config('touchpoint_id', 'record_type', 'int_touchpoints_classified') }}

{%- set hash_columns = [
    'touchpoint_id', 'person_key', 'account_id', 'crm_campaign_id', 'ad_campaign_key',
    'touch_type', 'touch_category', 'channel', 'sub_channel', 'utm_source', 'utm_medium',
    'utm_campaign', 'click_id_type', 'referrer_domain', 'person_match_rule',
    'same_interaction_as', 'taxonomy_version', 'touched_at',
] %}
{%- set hash_parts = [] %}
{%- for column in hash_columns %}
{%- do hash_parts.append("coalesce(cast(" ~ column ~ " as string), '')") %}
{%- endfor %}

{#-
    One row per marketing or sales touch. Incremental by content: every run classifies all
    touches (int_touchpoints_classified, cheap in the warehouse) and writes only the rows that
    are new or whose content changed (a hash of every column: late-arriving records, a lead
    converted later, a campaign or account that arrived after its touches, a taxonomy edit);
    the post-hook deletes touches whose source record disappeared. So the mart always equals a
    from-scratch build while a nightly run rewrites only what changed.
-#}

with

classified as (

    select
        *,
        {{ dbt.hash("concat_ws('|', " ~ hash_parts | join(', ') ~ ")") }}
            as row_hash
    from {{ ref('int_touchpoints_classified') }}

),

final as (

    select
        -- ids
        classified.touchpoint_id,
        classified.record_type,
        classified.record_id,
        classified.person_key,
        classified.account_id,
        classified.crm_campaign_id,
        classified.ad_campaign_key,

        -- strings
        classified.touch_type,
        classified.touch_category,
        classified.channel,
        classified.sub_channel,
        classified.utm_source,
        classified.utm_medium,
        classified.utm_campaign,
        classified.click_id_type,
        classified.referrer_domain,
        classified.person_match_rule,
        classified.same_interaction_as,
        classified.taxonomy_version,
        classified.row_hash,

        -- booleans
        classified.touch_category = 'marketing' as is_marketing_touch,
        classified.same_interaction_as is not null as is_follow_up_of_ad_click,

        -- timestamps
        classified.touched_at

    from classified
    {{ changed_by_content('classified', 'touchpoint_id', 'record_type') }}

)

select * from final
