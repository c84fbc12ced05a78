{#- The rule-based attribution models, written once for deals (attribution_credits) and leads
    (int_leads_attributed). A conversion's eligible touches are numbered `position` (1 = first,
    in time order); `roles` are the milestone roles a conversion of that kind can have, e.g.
    ['first', 'lead_creation'] for a lead; each becomes a boolean column is_<role>. -#}

{#- The role columns of every eligible touch and its time-decay weight, for a select over
    touches with `position`, `channel` and `touched_at`.
    milestones: per role after 'first', the condition a touch must meet to hold it (e.g.
        'touched_at <= opportunity_created_at'); the last touch meeting it holds the role (no
        touch meets it: nobody holds it).
    converted_at: the column holding the conversion's time (time_decay: a touch half-life
        `attribution_half_life_days` older than the conversion weighs half).
    conversion_window: a named window partitioned by conversion. -#}
{% macro attribution_roles(milestones, converted_at, conversion_window) -%}
        count(*) over {{ conversion_window }} as eligible_touches,
        position = 1 as is_first,
        position = count(*) over {{ conversion_window }} as is_last,
        position = coalesce(
            max(position) filter (where channel <> 'direct') over {{ conversion_window }},
            count(*) over {{ conversion_window }}
        ) as is_last_non_direct,
        {%- for role, condition in milestones.items() %}
        coalesce(
            position = max(position) filter (where {{ condition }})
                over {{ conversion_window }},
            false
        ) as is_{{ role }},
        {%- endfor %}
        power(
            0.5,
            {{ dbt.datediff('touched_at', converted_at, 'second') }}
            / (cast(86400 as double) * {{ var('attribution_half_life_days', 7) }})
        ) as decay_weight
{%- endmacro %}

{#- The position-based weights (vars attribution_u_shaped / _w_shaped / _full_path) per model:
    the roles of `roles` the model weights, and the share `others` of the touches in between. -#}
{% macro attribution_positional_weights(roles) -%}
    {%- set positional = {} -%}
    {%- for model, weights in {
        'u_shaped': var('attribution_u_shaped'),
        'w_shaped': var('attribution_w_shaped'),
        'full_path': var('attribution_full_path'),
    }.items() -%}
        {%- do positional.update({model: {
            'roles': roles | select('in', weights) | list,
            'weights': weights,
        }}) -%}
    {%- endfor -%}
    {{ return(positional) }}
{%- endmacro %}

{#- Per position-based model, <model>_others: how many touches of the conversion hold none of the
    roles the model weights (they share its `others` weight). -#}
{% macro attribution_others(roles, conversion_window) -%}
    {%- for model, spec in attribution_positional_weights(roles).items() %}
        count(*) filter (
            where not ({% for role in spec.roles %}is_{{ role }}{% if not loop.last %} or {% endif %}{% endfor %})
        ) over {{ conversion_window }} as {{ model }}_others{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The unnormalised weight of one touch under every model, as SQL expressions keyed by model
    name, over the columns of attribution_roles and attribution_others. A touch holding several
    roles gets their sum; normalising per conversion spreads the weight of a role no touch holds
    pro rata. -#}
{% macro attribution_weights(roles) -%}
    {%- set expressions = {
        'first_touch': 'case when is_first then 1.0 else 0.0 end',
        'last_touch': 'case when is_last then 1.0 else 0.0 end',
        'last_non_direct': 'case when is_last_non_direct then 1.0 else 0.0 end',
        'linear': '1.0',
        'time_decay': 'decay_weight',
    } -%}
    {%- for model, spec in attribution_positional_weights(roles).items() -%}
        {%- set parts = [] -%}
        {%- set held = [] -%}
        {%- for role in spec.roles -%}
            {%- do parts.append(
                'case when is_' ~ role ~ ' then ' ~ spec.weights[role] ~ ' else 0.0 end'
            ) -%}
            {%- do held.append('is_' ~ role) -%}
        {%- endfor -%}
        {%- do parts.append(
            'case when not (' ~ held | join(' or ') ~ ') then '
            ~ spec.weights.others ~ ' / ' ~ model ~ '_others else 0.0 end'
        ) -%}
        {%- do expressions.update({model: parts | join(' + ')}) -%}
    {%- endfor -%}
    {{ return(expressions) }}
{%- endmacro %}

{#- Every touch of `relation` once per model, with its unnormalised weight `raw_weight`. -#}
{% macro attribution_weighted(relation, roles) -%}
    {%- for model, weight in attribution_weights(roles).items() %}
    select
        *,
        '{{ model }}' as attribution_model,
        cast({{ weight }} as double) as raw_weight
    from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The CTEs `roles`, `role_counts` and `weighted` of a conversion's eligible touches, written
    once for deals and leads: `relation` has one row per eligible touch with `position`,
    `channel` and `touched_at`; `partition_by` identifies the conversion; `milestones` and
    `converted_at` are those of attribution_roles. `weighted` holds every touch once per model
    with its unnormalised `raw_weight`. -#}
{% macro attribution_weighted_ctes(relation, partition_by, milestones, converted_at) -%}
{%- set roles = ['first'] + (milestones.keys() | list) -%}
roles as (

    select
        *,
        {{ attribution_roles(milestones, converted_at, 'conversion_window') }}
    from {{ relation }}
    window conversion_window as (partition by {{ partition_by }})

),

role_counts as (

    select
        *,
        {{ attribution_others(roles, 'conversion_window') }}
    from roles
    window conversion_window as (partition by {{ partition_by }})

),

weighted as (

    {{ attribution_weighted('role_counts', roles) }}

)
{%- endmacro %}
