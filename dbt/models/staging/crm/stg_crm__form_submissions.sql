{{ incremental_staging_config('form_submission_id') }}

{#- The landing URL carries the UTM parameters and, for ad clicks, the platform's click id
    (gclid = Google, fbclid = Meta, li_fat_id = LinkedIn). -#}
{%- set page_url = cleaned_string('page_url') -%}
{%- set url_gclid = url_param(page_url, 'gclid') -%}
{%- set url_fbclid = url_param(page_url, 'fbclid') -%}
{%- set url_li_fat_id = url_param(page_url, 'li_fat_id') -%}
{%- set click_id -%}
coalesce({{ cleaned_string('click_id') }}, {{ url_gclid }}, {{ url_fbclid }}, {{ url_li_fat_id }})
{%- endset -%}

with

source as (

    select * from {{ source('crm', 'form_submissions') }}

),

renamed as (

    select
        -- ids
        {{ cleaned_string('submission_id') }} as form_submission_id,
        {{ cleaned_string('visitor_id') }} as visitor_id,
        {{ cleaned_string('lead_id') }} as lead_id,
        -- the form's own field first, else the click id parameter of the landing URL
        {{ click_id }} as click_id,

        -- strings
        {{ cleaned_string('form_name') }} as form_name,
        {{ page_url }} as page_url,
        -- path of the landing URL without scheme, host, query string or fragment
        '/' || {{ trim_leading(
            "regexp_extract(" ~ page_url ~ ", '^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1)",
            "'/'"
        ) }} as page_path,
        {{ cleaned_string('referrer_url') }} as referrer_url,
        -- host of the referrer without protocol, leading 'www.', port or path
        nullif(
            regexp_extract(
                lower(trim(referrer_url)),
                '^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?([^/:?#]+)',
                1
            ),
            ''
        ) as referrer_domain,
        lower({{ url_param(page_url, 'utm_source') }}) as utm_source,
        lower({{ url_param(page_url, 'utm_medium') }}) as utm_medium,
        lower({{ url_param(page_url, 'utm_campaign') }}) as utm_campaign,
        lower({{ url_param(page_url, 'utm_content') }}) as utm_content,
        lower({{ url_param(page_url, 'utm_term') }}) as utm_term,
        -- the URL parameter that carried the click id, else the platform's id prefix
        case
            when {{ url_gclid }} = {{ click_id }} then 'gclid'
            when {{ url_fbclid }} = {{ click_id }} then 'fbclid'
            when {{ url_li_fat_id }} = {{ click_id }} then 'li_fat_id'
            when {{ click_id }} like 'Cj0KCQ%' then 'gclid'
            when {{ click_id }} like 'IwAR%' then 'fbclid'
            when {{ click_id }} like 'li%' then 'li_fat_id'
        end as click_id_type,
        {{ normalize_email('email') }} as email,
        {{ email_domain(normalize_email('email')) }} as email_domain,
        {{ cleaned_string('first_name') }} as first_name,
        {{ cleaned_string('last_name') }} as last_name,
        {{ cleaned_string('company') }} as company_name,

        -- timestamps
        {{ to_utc('submitted_at') }} as submitted_at,
        {{ to_utc('_loaded_at') }} as loaded_at,

        -- lineage: the load of this version (the incremental bookmark, kept); export
        -- order and line (order the versions, dropped after de-duplication)
        _load_id as load_id,
        _source_seq,
        _source_line

    from source
    {{ touched_keys_only(cleaned_string('submission_id'), 'form_submission_id') }}

),

deduplicated as (

    -- submissions have no updated-at: a submission delivered twice keeps its latest load
    select {{ all_columns_except(['_source_seq', '_source_line']) }}
    from renamed
    {{ latest_version('form_submission_id') }}

)

select * from deduplicated
