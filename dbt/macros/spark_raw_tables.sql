{#- The raw tables on Spark (run as on-run-start): each source is an external Parquet table over
    the loader's copy of its raw table (dagster_project/lib/landing/parquet_mirror.py), one
    partition per load under `<spark raw dir>/<schema>/<table>/_load_id=<id>/`. Columns and
    types come from the sources' YAML (the landing contracts); the partitions are re-read every
    run (`msck repair ... sync partitions`), so a new load appears and a replaced file's load
    disappears. On DuckDB the loader writes the raw tables themselves: nothing to do. -#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
{%- endmacro %}

{#- A DuckDB type of the sources' YAML as a Spark type. -#}
{% macro spark_type(data_type) -%}
    {%- set t = data_type | lower | trim -%}
    {%- if t.endswith('[]') -%}array<{{ spark_type(t[:-2]) }}>
    {%- elif t in ('varchar', 'text', 'json', 'uuid') -%}string
    {%- elif t in ('timestamptz', 'timestamp with time zone', 'timestamp') -%}timestamp
    {%- elif t == 'integer' -%}int
    {%- else -%}{{ t }}
    {%- endif -%}
{%- endmacro %}

{% macro spark_raw_dir() -%}
    {{ return(var('spark_raw_dir', var('spark_dir', env_var('RJW_SPARK_DIR', '../data/spark')) ~ '/raw')) }}
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if execute -%}
    {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set relation = source.schema ~ '.' ~ source.identifier -%}
        {%- set partition = source.meta.get('load_column', '_load_id') -%}
        {%- set columns = [] -%}
        {%- for column in source.columns.values() -%}
            {%- do columns.append(column.name ~ ' ' ~ spark_type(column.data_type)) -%}
        {%- endfor -%}
        {%- do run_query('create database if not exists ' ~ source.schema) -%}
        {%- do run_query('drop table if exists ' ~ relation) -%}
        {%- do run_query(
            'create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet'
            ~ (' partitioned by (' ~ partition ~ ')' if partition else '')
            ~ " location '" ~ spark_raw_dir() ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
        ) -%}
        {%- if partition -%}
            {%- do run_query('msck repair table ' ~ relation ~ ' sync partitions') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
