{#-
    Incremental staging of the large event tables (email events, campaign members, form
    submissions): a night re-de-duplicates only the keys it touched, instead of re-parsing
    millions of rows.

    On an incremental run the rows taken from the source are every version of each key that a
    load since the last build delivered (`_load_id` above the newest `load_id` kept), and every
    version of each key whose kept version came from a load that has since been superseded (a
    file replaced by a changed one: its rows were deleted from raw). `delete+insert` on the key
    replaces those keys; the post-hook drops the rows still carrying a superseded load (keys
    whose every version was in the replaced file). So the table always equals a full build of
    the same raw data; the dbt asset runs `--full-refresh` whenever the project changed, since
    rows already kept were made by the old SQL. A test proves the equality on a generated night.
-#}

{% macro incremental_staging_config(key_column) -%}
    {{ config(
        materialized='incremental',
        unique_key=key_column,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=["{{ drop_superseded_versions() }}"],
    ) }}
{%- endmacro %}

{% macro superseded_loads() -%}
    select manifest.load_id
    from {{ source('meta', 'load_manifest') }} as manifest
    where manifest.superseded_by is not null
{%- endmacro %}

{#- the where clause of the `renamed` CTE: all rows on a full build, the touched keys else -#}
{% macro touched_keys_only(key_expression, key_column) -%}
    {%- if is_incremental() %}
    where {{ key_expression }} in (
        select {{ key_expression }}
        from source
        where _load_id > (select coalesce(max(built.load_id), -1) from {{ this }} as built)
        union all
        select built.{{ key_column }}
        from {{ this }} as built
        where built.load_id in ({{ superseded_loads() }})
    )
    {%- endif %}
{%- endmacro %}

{% macro drop_superseded_versions() -%}
    delete from {{ this }} where load_id in ({{ superseded_loads() }})
{%- endmacro %}
