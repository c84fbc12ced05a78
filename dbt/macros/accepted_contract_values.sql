{#- The accepted values of a raw column as its landing contract declares them: the generated
    sources YAML (dagster_project/lib/landing/dbt_sources.py) carries them as the column's meta
    `accepted_values`. source_column: '<source>.<table>.<column>', e.g. 'crm.leads.Status';
    letter_case: 'lower' or 'upper' when staging changes the case. Empty while dbt parses. -#}
{% macro contract_values(source_column, letter_case=none) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set parts = source_column.split('.') -%}
    {%- set node = graph.sources.get(
        'source.' ~ project_name ~ '.' ~ parts[0] ~ '.' ~ parts[1]
    ) -%}
    {%- set column = node.columns.get(parts[2]) if node else none -%}
    {%- set values = none -%}
    {%- if column -%}
        {%- set values = (column.config.meta if column.config else {}).get('accepted_values')
            or (column.meta or {}).get('accepted_values') -%}
    {%- endif -%}
    {%- if values is none -%}
        {{ exceptions.raise_compiler_error(
            "no accepted_values in the sources for " ~ source_column
            ~ ": declare them on the landing contract column and regenerate the dbt sources"
        ) }}
    {%- endif -%}
    {%- if letter_case == 'lower' -%}
        {%- set values = values | map('lower') | list -%}
    {%- elif letter_case == 'upper' -%}
        {%- set values = values | map('upper') | list -%}
    {%- endif -%}
    {{ return(values) }}
{%- endmacro %}

{#- Generic test: the column holds only values its raw column accepts (contract_values above);
    nulls pass, as in dbt's accepted_values. Returns each value that is not accepted. -#}
{% test accepted_contract_values(model, column_name, source_column, letter_case=none) %}
{%- set values = contract_values(source_column, letter_case) %}
select
    {{ column_name }} as value_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} not in (
    {%- for value in values %}
    '{{ value | replace("'", "''") }}'{% if not loop.last %},{% endif %}
    {%- endfor %}
)
group by {{ column_name }}
{% endtest %}
