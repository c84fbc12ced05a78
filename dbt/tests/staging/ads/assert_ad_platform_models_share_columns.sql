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

model_columns as (

    {% for family, models in families.items() -%}
    {%- for model in models -%}
    {%- set relation = ref(model) %}
    select
        '{{ family }}' as family,
        '{{ model }}' as model_name,
        ordinal_position,
        lower(column_name) as column_name,
        lower(data_type) as data_type
    from information_schema.columns
    where table_catalog = '{{ relation.database }}'
        and table_schema = '{{ relation.schema }}'
        and table_name = '{{ relation.identifier }}'
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

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
