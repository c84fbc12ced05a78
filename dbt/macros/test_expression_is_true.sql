{#- Generic test: every row satisfies `expression` (on a column: `<column> <expression>`); the
    rows that do not are the failures (no dbt_utils: the hub is unreachable). -#}
{% test expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not coalesce(
    {% if column_name %}{{ column_name }} {% endif %}{{ expression }},
    false
)
{% endtest %}
