{#- A touch as one short label for a CRM text field: 'channel · campaign · YYYY-MM-DD' (the
    campaign left out when unknown), at most 255 characters (the field's length). `touches` is
    the relation alias holding channel, campaign_name and touched_at. -#}
{% macro touch_label(touches) -%}
    substring(
        {{ touches }}.channel
        || coalesce(' · ' || {{ touches }}.campaign_name, '')
        || ' · '
        || cast(cast({{ touches }}.touched_at as date) as {{ dbt.type_string() }}),
        1,
        255
    )
{%- endmacro %}
