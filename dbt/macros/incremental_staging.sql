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

{#- On Spark (plain Parquet tables: no delete, no merge) the staging tables are incremental with
    `insert_overwrite` and no partitions: every run writes the whole table from every version in
    raw, which equals a full build by construction. With Delta or Iceberg tables on a cluster,
    `merge` on the key replaces this (README "Running on Spark"). -#}
{% macro incremental_staging_config(key_column) -%}
    {{ return(adapter.dispatch('incremental_staging_config')(key_column)) }}
{%- endmacro %}

{% macro duckdb__incremental_staging_config(key_column) -%}
    {{ config(
        materialized='incremental',
        unique_key=key_column,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=["{{ drop_superseded_versions() }}"],
    ) }}
{%- endmacro %}

{% macro spark__incremental_staging_config(key_column) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        file_format='parquet',
        on_schema_change='fail',
    ) }}
{%- endmacro %}

{% macro superseded_loads() -%}
    select manifest.load_id
    from {{ source('meta', 'load_manifest') }} as manifest
    where manifest.superseded_by is not null
{%- endmacro %}

{#- the where clause of the `renamed` CTE: all rows on a full build, the touched keys else -#}
{% macro touched_keys_only(key_expression, key_column) -%}
    {%- if is_incremental() and target.type != 'spark' %}
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

{#- Incremental by content (touchpoints): every run computes all rows (`relation`, a CTE with
    `key` and `row_hash`, from the model `upstream`) and writes only what changed.
    DuckDB: `delete+insert` of the rows that are new or whose hash changed; the post-hook
    deletes keys the upstream no longer has.
    Spark (plain Parquet tables): `insert_overwrite` of whole partitions of `partition_column`
    (a column that never changes for a key, so a key never moves between partitions): the
    partitions holding a row that is new, changed or gone are written again with all their
    rows; a partition none of whose keys is left is dropped by the post-hook. Both equal a full
    build. -#}
{% macro incremental_by_content_config(key, partition_column, upstream) -%}
    {{ return(adapter.dispatch('incremental_by_content_config')(key, partition_column, upstream)) }}
{%- endmacro %}

{% macro duckdb__incremental_by_content_config(key, partition_column, upstream) -%}
    {{ config(
        materialized='incremental',
        unique_key=key,
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook=[
            "delete from {{ this }} where " ~ key ~ " not in (select " ~ key
            ~ " from {{ ref('" ~ upstream ~ "') }})"
        ],
    ) }}
{%- endmacro %}

{% macro spark__incremental_by_content_config(key, partition_column, upstream) -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        partition_by=[partition_column],
        file_format='parquet',
        on_schema_change='fail',
        post_hook=[
            "{{ drop_emptied_partitions(this, '" ~ partition_column ~ "', ref('" ~ upstream
            ~ "')) }}"
        ],
    ) }}
{%- endmacro %}

{#- The where clause that keeps only what an incremental run must write (see above). -#}
{% macro changed_by_content(relation, key, partition_column) -%}
    {{ return(adapter.dispatch('changed_by_content')(relation, key, partition_column)) }}
{%- endmacro %}

{% macro duckdb__changed_by_content(relation, key, partition_column) -%}
    {%- if is_incremental() %}
    where not exists (
        select 1
        from {{ this }} as existing
        where existing.{{ key }} = {{ relation }}.{{ key }}
            and existing.row_hash = {{ relation }}.row_hash
    )
    {%- endif %}
{%- endmacro %}

{% macro spark__changed_by_content(relation, key, partition_column) -%}
    {%- if is_incremental() %}
    where {{ relation }}.{{ partition_column }} in (
        select changed.{{ partition_column }}
        from (
            (
                select {{ key }}, row_hash, {{ partition_column }} from {{ relation }}
                except
                select {{ key }}, row_hash, {{ partition_column }} from {{ this }}
            )
            union all
            (
                select {{ key }}, row_hash, {{ partition_column }} from {{ this }}
                except
                select {{ key }}, row_hash, {{ partition_column }} from {{ relation }}
            )
        ) as changed
    )
    {%- endif %}
{%- endmacro %}

{#- Spark post-hook: drop the partitions of `relation` whose value `upstream` no longer has. -#}
{% macro drop_emptied_partitions(relation, partition_column, upstream) -%}
    {%- if execute -%}
        {%- set emptied = run_query(
            "select distinct " ~ partition_column ~ " from " ~ relation
            ~ " where " ~ partition_column ~ " not in (select distinct " ~ partition_column
            ~ " from " ~ upstream ~ ")"
        ) -%}
        {%- for row in emptied.rows -%}
            {%- do run_query(
                "alter table " ~ relation ~ " drop if exists partition ("
                ~ partition_column ~ " = '" ~ row[0] ~ "')"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
