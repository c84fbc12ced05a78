{#- Small normalisation helpers used by the staging models. Each dispatches through dbt's
    adapter.dispatch so another engine can supply its own version. -#}

{#- A TIMESTAMPTZ as a naive timestamp in UTC: every *_at column downstream is UTC. -#}
{% macro to_utc(column) -%}
    {{ return(adapter.dispatch('to_utc')(column)) }}
{%- endmacro %}
{% macro default__to_utc(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}

{#- Epoch seconds (Stripe) or milliseconds (LinkedIn) as a naive UTC timestamp. -#}
{% macro epoch_to_utc(column, unit='s') -%}
    {{ return(adapter.dispatch('epoch_to_utc')(column, unit)) }}
{%- endmacro %}
{% macro default__epoch_to_utc(column, unit) -%}
    {%- if unit == 'ms' -%}
    make_timestamp(({{ column }})::bigint * 1000)
    {%- else -%}
    make_timestamp(({{ column }})::bigint * 1000000)
    {%- endif -%}
{%- endmacro %}

{#- A text field as a value: surrounding spaces trimmed, an empty string is null. Every string
    a source exports goes through it in staging, e.g. cleaned_string('"FirstName"'). -#}
{% macro cleaned_string(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- Emails as people type them ("  Jane.Doe@ACME.com ") compared as the same address. -#}
{% macro normalize_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- The domain part of an already normalised email. -#}
{% macro email_domain(column) -%}
    nullif(split_part({{ column }}, '@', 2), '')
{%- endmacro %}

{#- One query-string parameter of a URL, e.g. url_param('page_url', 'utm_source'). -#}
{% macro url_param(column, name) -%}
    nullif(regexp_extract({{ column }}, '[?&]{{ name }}=([^&#]*)', 1), '')
{%- endmacro %}

{#- Amount in the smallest currency unit (cents) as a decimal amount. -#}
{% macro minor_to_decimal(column) -%}
    cast({{ column }} * 0.01 as decimal(18, 2))
{%- endmacro %}

{#- Keep the newest version of every key: `qualify` over the lineage columns the loader writes. -#}
{% macro latest_version(partition_by, order_by=none) -%}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by {% if order_by %}{{ order_by }} desc nulls last, {% endif %}_source_seq desc, _source_line desc
    ) = 1
{%- endmacro %}
