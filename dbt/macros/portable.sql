{#- SQL that DuckDB and Spark both run with the same result. Where the engines need different
    text the macro dispatches (duckdb__ / spark__); the rest is one portable form. Only
    dispatched macros may hold engine-specific SQL: dagster_project/lib/sql_portability.py (a
    test) rejects the known differing constructs anywhere else. -#}

{#- The value of the row with the smallest `order` among the rows whose value is not null
    (DuckDB's arg_min skips null values; Spark's min_by keeps them, so a null value's order is
    made null, which both skip). -#}
{% macro first_by(value, order) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ order }} end)
{%- endmacro %}

{#- The value of the row with the largest `order` among the rows whose value is not null. -#}
{% macro last_by(value, order) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ order }} end)
{%- endmacro %}

{#- The non-null values joined by `separator` in the order of `order_by` (a list of columns,
    ascending), optionally only the rows meeting `where`; null when there is none. -#}
{% macro ordered_string_agg(value, separator, order_by, where=none) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(value, separator, order_by, where)) }}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(value, separator, order_by, where) -%}
    string_agg({{ value }}, '{{ separator }}' order by {{ order_by | join(', ') }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_string_agg(value, separator, order_by, where) -%}
    nullif(array_join(transform(
        array_sort(collect_list(struct(
            {%- for column in order_by %}{{ column }} as k{{ loop.index }}, {% endfor -%}
            {{ value }} as v
        )){%- if where %} filter (where {{ where }}){% endif %}),
        s -> s.v
    ), '{{ separator }}'), '')
{%- endmacro %}

{#- A JSON value at `path` ('$.a.b', '$[0]') as text (an object or array as its JSON). -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{#- Is the text valid JSON? -#}
{% macro is_json(column) -%}
    {{ return(adapter.dispatch('is_json')(column)) }}
{%- endmacro %}

{% macro duckdb__is_json(column) -%}
    json_valid({{ column }})
{%- endmacro %}

{% macro spark__is_json(column) -%}
    coalesce(json_object_keys({{ column }}) is not null or json_array_length({{ column }}) is not null, false)
{%- endmacro %}

{#- `from <relation> as <alias>` with one row per element of the JSON array at `path` of
    `column`, the element's JSON text in the column `element` (a lateral unnest: rows whose
    array is empty or missing drop out). -#}
{% macro from_json_array_elements(relation, alias, column, path, element) -%}
    {{ return(adapter.dispatch('from_json_array_elements')(relation, alias, column, path, element)) }}
{%- endmacro %}

{% macro duckdb__from_json_array_elements(relation, alias, column, path, element) -%}
    from {{ relation }} as {{ alias }},
        unnest(json_extract({{ alias }}.{{ column }}, '{{ path }}[*]')) as {{ alias }}_elements ({{ element }})
{%- endmacro %}

{% macro spark__from_json_array_elements(relation, alias, column, path, element) -%}
    from {{ relation }} as {{ alias }}
    lateral view explode(
        from_json(get_json_object({{ alias }}.{{ column }}, '{{ path }}'), 'array<string>')
    ) {{ alias }}_elements as {{ element }}
{%- endmacro %}

{#- A CTE DuckDB should compute once (several readers): `name as {{ materialized_cte() }} (`.
    Spark decides itself. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}

{#- `text` without the leading characters in `characters` (DuckDB's ltrim(text, characters);
    Spark takes the two the other way round). -#}
{% macro trim_leading(text, characters) -%}
    {{ return(adapter.dispatch('trim_leading')(text, characters)) }}
{%- endmacro %}

{% macro duckdb__trim_leading(text, characters) -%}
    ltrim({{ text }}, {{ characters }})
{%- endmacro %}

{% macro spark__trim_leading(text, characters) -%}
    ltrim({{ characters }}, {{ text }})
{%- endmacro %}

{#- A one-column relation of the given strings, as a subquery body. -#}
{% macro string_values(values, column) -%}
    {%- for value in values %}
    select '{{ value }}' as {{ column }}{% if not loop.last %} union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- A decimal quotient rounded half away from zero to `scale` places, as decimal(18, scale):
    DuckDB divides decimals as DOUBLE, Spark exactly, so an unrounded quotient differs in the
    last cent. -#}
{% macro money_divide(numerator, denominator, scale=2) -%}
    cast(round(cast({{ numerator }} as decimal(38, 10)) / {{ denominator }}, {{ scale }}) as decimal(18, {{ scale }}))
{%- endmacro %}
