-- The three ad platforms are staged into the same shape per family (campaigns, daily stats,
-- clicks) so the intermediate layer can `union all` them: same column names, in the same
-- order, with the same types. Returns every (family, position) where the platforms disagree
-- and every model missing from the catalog.
-- (meta.dagster.ref: Dagster shows this test as an asset check of the Google campaigns, the
-- reference shape; it covers all nine models)
{{ config(meta={'dagster': {'ref': {'name': 'stg_ads__google_ads_campaigns'}}}) }}
{%- set families = {
    'campaigns': [
        'stg_ads__google_ads_campaigns',
        'stg_ads__meta_ads_campaigns',
        'stg_ads__linkedin_ads_campaigns',
    ],
    'daily_stats': [
        'stg_ads__google_ads_campaign_stats',
        'stg_ads__meta_ads_insights',
        'stg_ads__linkedin_ads_analytics',
    ],
    'clicks': [
        'stg_ads__google_ads_clicks',
        'stg_ads__meta_ads_clicks',
        'stg_ads__linkedin_ads_clicks',
    ],
} %}

with

expected_models as (

    {% for family, models in families.items() -%}
    {%- for model in models %}
    select '{{ family }}' as family, '{{ model }}' as model_name
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- the columns as the engine reports them (dbt's adapter.get_columns_in_relation: DuckDB's
-- catalog or Spark's), one literal row per column
model_columns as (

    {% set rows = [] -%}
    {%- set relations = {} -%}
    {%- for family, models in families.items() -%}
    {%- for model in models -%}{%- do relations.update({model: ref(model)}) -%}{%- endfor -%}
    {%- endfor -%}
    {%- if execute -%}
    {%- for family, models in families.items() -%}
    {%- for model in models -%}
    {%- for column in adapter.get_columns_in_relation(relations[model]) -%}
    {%- do rows.append([family, model, loop.index, column.name | lower, column.data_type | lower]) -%}
    {%- endfor -%}
    {%- endfor -%}
    {%- endfor -%}
    {%- endif %}
    {%- for row in rows %}
    select
        '{{ row[0] }}' as family,
        '{{ row[1] }}' as model_name,
        {{ row[2] }} as ordinal_position,
        '{{ row[3] }}' as column_name,
        '{{ row[4] }}' as data_type
    {% if not loop.last %}union all{% endif %}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as family,
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_int() }}) as ordinal_position,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as data_type
    where false
    {%- endfor %}

),

disagreements as (

    select
        family,
        cast(ordinal_position as {{ dbt.type_string() }}) as detail,
        {{ dbt.listagg(
            dbt.concat(['model_name', "' '", 'column_name', "' '", 'data_type']), "'; '"
        ) }} as models
    from model_columns
    group by family, ordinal_position
    having count(*) <> 3
        or count(distinct column_name) > 1
        or count(distinct data_type) > 1

),

missing_models as (

    select
        family,
        'not in the catalog' as detail,
        model_name as models
    from expected_models
    where model_name not in (select model_columns.model_name from model_columns)

)

select * from disagreements
union all
select * from missing_models
