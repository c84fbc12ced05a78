{#- SQL that DuckDB and Spark both run with the same result. Where the engines need different
    text the macro dispatches (duckdb__ / spark__); the rest is one portable form. Only
    dispatched macros may hold engine-specific SQL: dagster_project/lib/sql_portability.py (a
    test) rejects the known differing constructs anywhere else. -#}

{#- Every column but `columns`: `* exclude (...)` on DuckDB, `* except (...)` on Spark (DuckDB
    reads `except` too; sqlfluff's DuckDB dialect does not). -#}
{% macro all_columns_except(columns) -%}
    {{ return(adapter.dispatch('all_columns_except')(columns)) }}
{%- endmacro %}

{% macro duckdb__all_columns_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__all_columns_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

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

{#- The non-null values joined by `separator` in the order of `order_by` (a list of
    'expression [asc|desc]'), optionally only the rows meeting `where`; null when there is none. -#}
{% macro ordered_string_agg(value, separator, order_by, where=none) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(value, separator, order_by, where)) }}
{%- endmacro %}

{% macro duckdb__ordered_string_agg(value, separator, order_by, where) -%}
    string_agg({{ value }}, '{{ separator }}' order by {{ order_by | join(', ') }})
    {%- if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_string_agg(value, separator, order_by, where) -%}
    nullif(array_join({{ spark_sorted_values(value, order_by, where) }}, '{{ separator }}'), '')
{%- endmacro %}

{#- dbt-spark's listagg ignores its order by (a warning only): the values come in whatever order
    the shuffle left them. This one sorts them as DuckDB's string_agg does. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set order_by = [] -%}
    {%- if order_by_clause -%}
        {%- set clause = order_by_clause.strip() -%}
        {%- if clause[:8] | lower == 'order by' -%}{%- set clause = clause[8:] -%}{%- endif -%}
        {%- for item in clause.split(',') -%}{%- do order_by.append(item.strip()) -%}{%- endfor -%}
    {%- endif -%}
    nullif(array_join(
        {{ spark_sorted_values(measure, order_by, none, limit_num) }}, {{ delimiter_text }}
    ), '')
{%- endmacro %}

{#- Spark: the values of `value` (optionally of the rows meeting `where`) as an array sorted by
    `order_by` (a list of 'expression [asc|desc]'; nulls last, as DuckDB sorts by default), the
    first `limit` of them when given. -#}
{% macro spark_sorted_values(value, order_by, where=none, limit=none) -%}
    {%- set keys = [] -%}
    {%- for item in order_by -%}
        {%- set parts = item.split() -%}
        {%- if parts | length > 1 and parts[-1] | lower in ('asc', 'desc') -%}
            {%- do keys.append((parts[:-1] | join(' '), parts[-1] | lower == 'desc')) -%}
        {%- else -%}
            {%- do keys.append((item, false)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set collected -%}
        collect_list(struct(
            {%- for key in keys %}{{ key[0] }} as k{{ loop.index }}, {% endfor -%}
            {{ value }} as v
        )){%- if where %} filter (where {{ where }}){% endif %}
    {%- endset -%}
    transform(
        {% if limit %}slice({% endif %}
        {%- if keys -%}
        array_sort(
            {{ collected }},
            (l, r) -> case
                {%- for key in keys %}
                when l.k{{ loop.index }} is null and r.k{{ loop.index }} is not null then 1
                when l.k{{ loop.index }} is not null and r.k{{ loop.index }} is null then -1
                when l.k{{ loop.index }} < r.k{{ loop.index }} then {{ 1 if key[1] else -1 }}
                when l.k{{ loop.index }} > r.k{{ loop.index }} then {{ -1 if key[1] else 1 }}
                {%- endfor %}
                else 0
            end
        )
        {%- else -%}
        {{ collected }}
        {%- endif -%}
        {% if limit %}, 1, {{ limit }}){% endif %},
        s -> s.v
    )
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

{#- `expression` as a DOUBLE rounded to `scale` decimals, half away from zero, with the same
    result on both engines. DuckDB's round(double) rounds x * 10^scale half away from zero;
    Spark's rounds the double's exact binary value half up, so 12.345 (stored as 12.3449999...)
    is 12.35 on one and 12.34 on the other. Money and scores that are doubles are rounded with
    this (cast to a decimal after it, the cents are equal). -#}
{% macro round_double(expression, scale=0) -%}
    (sign(cast({{ expression }} as double))
        * floor(abs(cast({{ expression }} as double)) * 1e{{ scale }} + 0.5) / 1e{{ scale }})
{%- endmacro %}
