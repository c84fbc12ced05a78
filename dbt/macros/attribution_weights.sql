{% macro attribution_weights(roles, others_columns) %}
    {#-
        The unnormalised weight of one touch under every attribution model, as SQL expressions
        keyed by model name (attribution_credits for deals, int_leads_attributed for leads).

        roles: the milestone roles a conversion can have, e.g. ['first', 'lead_creation'] for a
            lead; each must be a boolean column is_<role>. The position-based models (weights in
            the vars attribution_u_shaped / _w_shaped / _full_path) give each role they weight
            its share and split `others` among the touches holding none of those roles.
        others_columns: per position-based model, the column counting those other touches.
        The rule-based models read is_first, is_last, is_last_non_direct and decay_weight.
    -#}
    {%- set expressions = {
        'first_touch': 'case when is_first then 1.0 else 0.0 end',
        'last_touch': 'case when is_last then 1.0 else 0.0 end',
        'last_non_direct': 'case when is_last_non_direct then 1.0 else 0.0 end',
        'linear': '1.0',
        'time_decay': 'decay_weight',
    } -%}
    {%- set positional = {
        'u_shaped': var('attribution_u_shaped'),
        'w_shaped': var('attribution_w_shaped'),
        'full_path': var('attribution_full_path'),
    } -%}
    {%- for model, weights in positional.items() -%}
        {%- set parts = [] -%}
        {%- set held = [] -%}
        {%- for role in roles if role in weights -%}
            {%- do parts.append('case when is_' ~ role ~ ' then ' ~ weights[role] ~ ' else 0.0 end') -%}
            {%- do held.append('is_' ~ role) -%}
        {%- endfor -%}
        {%- do parts.append(
            'case when not (' ~ held | join(' or ') ~ ') then '
            ~ weights.others ~ ' / ' ~ others_columns[model] ~ ' else 0.0 end'
        ) -%}
        {%- do expressions.update({model: parts | join(' + ')}) -%}
    {%- endfor -%}
    {{ return(expressions) }}
{% endmacro %}
