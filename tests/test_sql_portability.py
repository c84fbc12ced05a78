"""The dbt project's SQL is portable between DuckDB and Spark: engine-specific SQL only in
dispatched macros (duckdb__ / spark__). Unit tests of the checker on small trees, then the check
of the real project."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_project.lib.paths import REPO_ROOT
from dagster_project.lib.sql_portability import CONSTRUCTS, find_violations, main


def _scan(tmp_path: Path, sql: str, folder: str = "dbt/models/staging") -> list:
    path = tmp_path / folder / "model.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql)
    return find_violations(tmp_path)


def _found(tmp_path: Path, sql: str) -> list[tuple[str, int, int, str]]:
    return [(v.construct, v.line, v.column, v.text) for v in _scan(tmp_path, sql)]


# (a line of SQL, the construct in it, the offending text)
CASES = [
    ("select * exclude (a) from t", "exclude", "exclude ("),
    ("select * EXCLUDE(a) from t", "exclude", "EXCLUDE("),
    ('select "Id" from t', "quoted identifier", '"Id"'),
    ("select cast(a as VarChar) from t", "varchar", "VarChar"),
    ("select arg_min(a, b) from t", "arg_min/arg_max", "arg_min("),
    ("select arg_max (a, b) from t", "arg_min/arg_max", "arg_max ("),
    ("select string_agg(a, ',' order by b) from t", "string_agg", "string_agg("),
    ("select ltrim(a, '/') from t", "two-argument trim", "ltrim("),
    ("select rtrim(a, b) from t", "two-argument trim", "rtrim("),
    ("select json_extract(a, '$.b') from t", "json_extract", "json_extract("),
    ("select json_extract_string(a, '$.b') from t", "json_extract", "json_extract_string("),
    ("select a ->> '$.b' from t", "->>", "->>"),
    ("select epoch(a) from t", "epoch", "epoch("),
    ("select strptime(a, '%Y') from t", "strptime", "strptime("),
    ("select make_timestamp(a) from t", "make_timestamp", "make_timestamp("),
    ("select timezone('UTC', a) from t", "timezone", "timezone("),
    ("select date_diff('day', a, b) from t", "date_diff", "date_diff("),
    ("select unnest(a) from t", "unnest", "unnest("),
    ("select a from t union all by name select a from u", "union by name", "union all by name"),
    ("with c as materialized (select 1) select * from c", "as materialized", "as materialized ("),
]


@pytest.mark.parametrize(("line", "construct", "text"), CASES)
def test_each_construct_is_caught_with_line_and_column(tmp_path, line, construct, text):
    sql = "-- a model\nwith x as (select 1)\n    " + line + "\n"
    assert _found(tmp_path, sql) == [(construct, 3, 5 + line.index(text), text)]


def test_every_construct_has_a_test():
    assert {c.name for c in CONSTRUCTS} == {construct for _, construct, _ in CASES}


def test_violation_records_file_and_advice(tmp_path):
    (violation,) = _scan(tmp_path, "select a::varchar from t\n", "dbt/tests/marts")
    assert violation.file == "dbt/tests/marts/model.sql"
    assert "string" in violation.advice
    assert str(violation) == f"dbt/tests/marts/model.sql:1:11: varchar: {violation.advice}"


@pytest.mark.parametrize("folder", ["dbt/models/marts", "dbt/macros", "dbt/tests", "dbt/analyses"])
def test_all_dbt_sql_folders_are_scanned(tmp_path, folder):
    assert len(_scan(tmp_path, "select unnest(a) from t", folder)) == 1


def test_files_outside_the_dbt_sql_folders_are_not_scanned(tmp_path):
    assert _scan(tmp_path, "select unnest(a) from t", "dbt/target/compiled") == []


def test_dispatched_engine_macros_may_hold_engine_sql(tmp_path):
    sql = """{% macro first_by(v, o) -%}
    {{ return(adapter.dispatch('first_by')(v, o)) }}
{%- endmacro %}
{%- macro duckdb__first_by(v, o) -%}
    arg_min({{ v }}, {{ o }}) -- "quoted" and string_agg( are fine here
    {%- if true %} ltrim(a, 'b'){% endif %}
{%- endmacro -%}
{% macro spark__tag(v) %}"{{ v }}" varchar{% endmacro %}
{% macro default__first_by(v, o) -%}
    arg_min({{ v }}, {{ o }})
{%- endmacro %}
"""
    assert _found(tmp_path, sql) == [("arg_min/arg_max", 10, 5, "arg_min(")]


def test_jinja_comments_and_string_literals_are_not_sql(tmp_path):
    sql = """{# select "Id", arg_min(a, b)
   across lines #}
select
    {{ config(post_hook=["delete from x where \\"a\\" = 1", "select unnest(a)"]) }},
    {% set cols = "arg_max(a, b)" %}
    '{{ var("currency") }}' as currency, -- "Id" string_agg(a) ; don't
    /* varchar
       "Id" */ 'say "hi" and it''s unnest(a)' as phrase,
    {{ dbt.concat(["record_type", "':'", "record_id"]) }} as key,
    b as "Id"
from t
"""
    assert _found(tmp_path, sql) == [("quoted identifier", 10, 10, '"Id"')]


def test_one_argument_trim_is_fine_and_two_arguments_are_caught(tmp_path):
    sql = """select
    ltrim(a),
    rtrim(concat(a, b)),
    trim(both '/' from a),
    ltrim({{ dbt.concat(["a", "b"]) }}),
    ltrim(
        regexp_extract(a, '^(x),(y)', 1),
        '/'
    ) as c,
    ltrim({{ col }}, {{ chars }}) as d
from t
"""
    assert _found(tmp_path, sql) == [
        ("two-argument trim", 6, 5, "ltrim("),
        ("two-argument trim", 10, 5, "ltrim("),
    ]


def test_a_quoted_identifier_passed_as_a_jinja_string_is_caught(tmp_path):
    sql = """select
    {{ cleaned_string('"FirstName"') }} as first_name,
    {{ cleaned_string('last_name') }} as last_name,
    {{ dbt.concat(["'crm:'", "id"]) }} as key
from t
"""
    assert _found(tmp_path, sql) == [("quoted identifier", 2, 24, '"FirstName"')]


def test_a_string_that_is_not_closed_does_not_break_the_scan(tmp_path):
    assert _found(tmp_path, "select unnest(a) from t where b = 'it") == [
        ("unnest", 1, 8, "unnest(")
    ]


def test_main_prints_one_line_a_violation_and_exits_1(tmp_path, capsys):
    _scan(tmp_path, "select\n    unnest(a),\n    epoch(b)\nfrom t\n")
    assert main([str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        ["dbt/models/staging/model.sql:2:5", "unnest"],
        ["dbt/models/staging/model.sql:3:5", "epoch"],
    ]
    (tmp_path / "dbt/models/staging/model.sql").write_text("select a from t\n")
    assert main([str(tmp_path)]) == 0


def test_dbt_project_is_portable():
    violations = find_violations(REPO_ROOT)
    listing = "\n".join(f"{v}  [{v.text}]" for v in violations)
    assert violations == [], f"{len(violations)} non-portable SQL constructs:\n{listing}"
