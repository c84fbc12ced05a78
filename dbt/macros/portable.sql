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
    made null, which both skip). Rows tied on `order` may give either row, differently on each
    engine: give a list ending in a unique column, e.g. ['created_at', 'lead_id']. -#}
{% macro first_by(value, order) -%}
    min_by({{ value }}, case when {{ value }} is not null then {{ sort_key(order) }} end)
{%- endmacro %}

{#- The value of the row with the largest `order` among the rows whose value is not null. -#}
{% macro last_by(value, order) -%}
    max_by({{ value }}, case when {{ value }} is not null then {{ sort_key(order) }} end)
{%- endmacro %}

{#- One value that sorts as `columns` (a list) sort, in order: a struct (DuckDB `row(...)`,
    Spark `struct(...)`); a single column (or a string) as it is. -#}
{% macro sort_key(columns) -%}
    {%- if columns is string -%}{{ columns }}
    {%- elif columns | length == 1 -%}{{ columns[0] }}
    {%- else -%}{{ return(adapter.dispatch('sort_key')(columns)) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__sort_key(columns) -%}
    row({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__sort_key(columns) -%}
    struct({{ columns | join(', ') }})
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

{#- Is the text a JSON object? The engines' parsers still differ on malformed edges (DuckDB
    accepts a trailing comma and NaN and refuses text after the object; Spark the other way
    round): only which rejected Stripe lines show an id and amount depends on it. -#}
{% macro is_json(column) -%}
    {{ return(adapter.dispatch('is_json')(column)) }}
{%- endmacro %}

{% macro duckdb__is_json(column) -%}
    (coalesce(json_valid({{ column }}), false) and left(trim({{ column }}), 1) = '{')
{%- endmacro %}

{% macro spark__is_json(column) -%}
    (try_parse_json({{ column }}) is not null and left(trim({{ column }}), 1) = '{')
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

{#- A DOUBLE rounded to `scale` decimals the same way on both engines: floor(|x| * 10^scale +
    0.5), signed. Their own round(double) differ on values that print as exact halves (Spark
    rounds the double's shortest decimal text, DuckDB x * 10^scale: round(2.675, 2) is 2.68 on
    one and 2.67 on the other). For doubles by nature (scores, fractional credits); money that
    is a product of decimals is rounded in decimals instead (round_money). -#}
{% macro round_double(expression, scale=0) -%}
    (sign(cast({{ expression }} as double))
        * floor(abs(cast({{ expression }} as double)) * 1e{{ scale }} + 0.5) / 1e{{ scale }})
{%- endmacro %}

{#- Money in `scale` decimals from `amount` (a decimal(18, s)) times `factor` (a DOUBLE rate,
    exact to 10 decimals): the exact decimal product rounded half away from zero, the same on
    both engines (950.00 x 1.0583 = 1005.385 -> 1005.39). The rate is a decimal(19, 10): two
    decimal(18)s DuckDB multiplies in 64 bits, which overflows once the product passes 100,000; one
    wider makes it 128 bits, and Spark's product (precision 38) keeps every digit. -#}
{% macro round_money(amount, factor, scale=2) -%}
    cast(round({{ amount }} * cast({{ factor }} as decimal(19, 10)), {{ scale }}) as decimal(18, {{ scale }}))
{%- endmacro %}

{#- A text holding a whole number (optional sign, digits) as a BIGINT, else null: DuckDB's
    try_cast rounds '1999.5' to 2000 and reads '1e3', Spark (ANSI) gives null for both. -#}
{% macro whole_number(text) -%}
    {{ return(adapter.dispatch('whole_number')(text)) }}
{%- endmacro %}

{% macro duckdb__whole_number(text) -%}
    case when regexp_full_match(trim({{ text }}), '-?[0-9]{1,18}') then cast(trim({{ text }}) as bigint) end
{%- endmacro %}

{% macro spark__whole_number(text) -%}
    case when trim({{ text }}) rlike '^-?[0-9]{1,18}$' then cast(trim({{ text }}) as bigint) end
{%- endmacro %}
