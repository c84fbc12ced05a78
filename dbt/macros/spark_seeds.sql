{#- Seeds on Spark with the values as literals instead of dbt-spark's bindings, which load an
    empty cell as the text 'None' and do not escape quotes. An empty cell is null (as DuckDB
    loads it); a text is written as the hex of its UTF-8 bytes, so no character needs escaping. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
            ({%- for col_name in agate_table.column_names -%}
                {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                {%- set value = row[loop.index0] -%}
                cast({{ spark_seed_literal(value) }} as {{ type }})
                {%- if not loop.last %}, {% endif -%}
            {%- endfor -%})
            {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}{{ value }}
    {%- else -%}cast(unhex('{{ (value | string).encode('utf-8').hex() }}') as string)
    {%- endif -%}
{%- endmacro %}
