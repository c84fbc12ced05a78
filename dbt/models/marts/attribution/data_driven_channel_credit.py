"""Data-driven attribution: Markov-chain removal effects and Shapley values per conversion type
and channel, learned from the path table (attribution_paths) by the pure functions of
dagster_project.attribution. A dbt Python model (dbt-duckdb runs it in the dbt process), so one
`dbt build` covers the whole graph and the marts that read it simply ref() it."""

from dagster_project.attribution import data_driven_credit


def model(dbt, session):
    dbt.config(materialized="table", schema="attribution")
    paths = (
        dbt.ref("attribution_paths")
        .project(
            "conversion_type, path, conversions, "
            "cast(conversion_value as double) as conversion_value, null_count"
        )
        .df()
    )
    return data_driven_credit(paths)
