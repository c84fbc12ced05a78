{#- Small normalisation helpers used by the staging models. Each dispatches through dbt's
    adapter.dispatch so another engine can supply its own version. -#}

{#- A TIMESTAMPTZ as a naive timestamp in UTC: every *_at column downstream is UTC. -#}
{% macro to_utc(column) -%}
    {{ return(adapter.dispatch('to_utc')(column)) }}
{%- endmacro %}
{% macro duckdb__to_utc(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}
{#- (Spark reads the Parquet copy's instants as timestamps in the session's time zone, UTC) -#}
{% macro spark__to_utc(column) -%}
    cast({{ column }} as timestamp)
{%- endmacro %}

{#- Epoch seconds (Stripe) or milliseconds (LinkedIn) as a naive UTC timestamp. -#}
{% macro epoch_to_utc(column, unit='s') -%}
    {{ return(adapter.dispatch('epoch_to_utc')(column, unit)) }}
{%- endmacro %}
{% macro duckdb__epoch_to_utc(column, unit) -%}
    {%- if unit == 'ms' -%}
    make_timestamp(({{ column }})::bigint * 1000)
    {%- else -%}
    make_timestamp(({{ column }})::bigint * 1000000)
    {%- endif -%}
{%- endmacro %}
{% macro spark__epoch_to_utc(column, unit) -%}
    {%- if unit == 'ms' -%}
    timestamp_millis(cast({{ column }} as bigint))
    {%- else -%}
    timestamp_seconds(cast({{ column }} as bigint))
    {%- endif -%}
{%- endmacro %}

{#- A text field as a value: surrounding spaces trimmed, an empty string is null. Every string
    a source exports goes through it in staging, e.g. cleaned_string('FirstName'). -#}
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

{#- A company name as two systems spell it, for an exact comparison: lower-case; '.' and "'"
    dropped (so "S.A." is "sa"); every other punctuation mark or symbol a space; whitespace
    collapsed and trimmed; then trailing legal-form words removed, repeatedly ("Acme Holdings
    Co., Ltd." -> "acme holdings"). The legal forms: inc, incorporated, corp, corporation, co,
    company, llc, llp, lp, ltd, limited, plc, gmbh, ag, kg, sa, sas, sarl, srl, spa, bv, nv,
    pty, pte. A name that is only a legal form keeps it; an empty name is null. -#}
{% macro normalize_company_name(column) -%}
    nullif(trim({{ regex_replace_all(
        "trim(" ~ regex_replace_all(
            regex_replace_all(
                regex_replace_all('lower(' ~ column ~ ')', "'[.\\x27]'", "''"),
                "'[\\pP\\pS]'", "' '"
            ),
            "'\\s+'", "' '"
        ) ~ ")",
        "'(\\s(inc|incorporated|corp|corporation|co|company|llc|llp|lp|ltd|limited|plc|gmbh|ag|kg|sa|sas|sarl|srl|spa|bv|nv|pty|pte))+$'",
        "''"
    ) }}), '')
{%- endmacro %}

{#- Every match of `pattern` in `text` replaced (DuckDB needs the 'g' flag; Spark's fourth
    argument is a position). Patterns are SQL literals, e.g. "'\\s+'". -#}
{% macro regex_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all')(text, pattern, replacement)) }}
{%- endmacro %}
{% macro duckdb__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}
{% macro spark__regex_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{#- One query-string parameter of a URL, e.g. url_param('page_url', 'utm_source'). -#}
{% macro url_param(column, name) -%}
    nullif(regexp_extract({{ column }}, '[?&]{{ name }}=([^&#]*)', 1), '')
{%- endmacro %}

{#- Amount in the smallest currency unit (cents) as a decimal amount. -#}
{% macro minor_to_decimal(column) -%}
    cast({{ column }} * 0.01 as decimal(18, 2))
{%- endmacro %}

{#- A Stripe amount (an integer in the currency's smallest unit) as a decimal amount in the
    currency's major unit, decimal(18, 3): cents for USD (12345 -> 123.450), whole yen for JPY
    (12000 -> 12000.000), thousandths for KWD (12345 -> 12.345). The exponent comes from the
    seed currency_exponents (a scalar lookup on the seed, not a join of two sources); a currency
    the seed lacks gives null, never a silent /100, and the relationships tests of the staged
    currency columns fail. Decimal arithmetic, exact: no DOUBLE on the way. -#}
{% macro stripe_amount(column, currency) -%}
    cast({{ column }} * case (
        -- (the seed's column renamed: an unqualified `currency` is the model's column)
        select currency_exponents.stripe_exponent
        from (
            select
                currency as exponent_currency,
                stripe_exponent
            from {{ ref('currency_exponents') }}
        ) as currency_exponents
        where currency_exponents.exponent_currency = {{ currency }}
    )
        when 0 then 1.000
        when 1 then 0.100
        when 2 then 0.010
        when 3 then 0.001
    end as decimal(18, 3))
{%- endmacro %}

{#- Keep the newest version of every key: `qualify` over the lineage columns the loader writes. -#}
{% macro latest_version(partition_by, order_by=none) -%}
    qualify row_number() over (
        partition by {{ partition_by }}
        order by {% if order_by %}{{ order_by }} desc nulls last, {% endif %}_source_seq desc, _source_line desc
    ) = 1
{%- endmacro %}
