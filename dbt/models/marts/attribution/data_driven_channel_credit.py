"""Data-driven attribution: Markov-chain removal effects and Shapley values per conversion type
and channel, learned from the path table (attribution_paths) by the pure functions of
dagster_project.attribution. A dbt Python model, so one `dbt build` covers the whole graph and
the marts that read it simply ref() it. dbt-duckdb runs it in the dbt process; on Spark the
`rjw-dbt` command (dagster_project/lib/spark_dbt.py) runs it in the local Spark session, and
on Databricks dbt-spark submits it to the cluster."""

from dagster_project.attribution import data_driven_credit

COLUMNS = (
    "conversion_type",
    "path",
    "conversions",
    "cast(conversion_value as double) as conversion_value",
    "null_count",
)


# the columns data_driven_credit returns, typed as DuckDB reads them (an empty result has no
# values for Spark to guess the types from)
SPARK_SCHEMA = (
    "conversion_type string, attribution_model string, channel string, removal_effect double, "
    "shapley_value double, credit_share double, attributed_conversions double, "
    "attributed_value double"
)


def model(dbt, session):
    # file_format: Spark's table format (dbt-duckdb ignores it)
    dbt.config(materialized="table", schema="attribution", file_format="parquet")
    paths = dbt.ref("attribution_paths")
    if not hasattr(paths, "selectExpr"):  # a DuckDB relation
        return data_driven_credit(paths.project(", ".join(COLUMNS)).df())
    # a Spark DataFrame: pandas' missing values (NaN) become nulls, as DuckDB reads them
    from pyspark.sql import functions as F

    credit = session.createDataFrame(
        data_driven_credit(paths.selectExpr(*COLUMNS).toPandas()), schema=SPARK_SCHEMA
    )
    return credit.select(
        *(
            F.when(F.isnan(name), None).otherwise(F.col(name)).alias(name)
            if kind in ("double", "float")
            else F.col(name)
            for name, kind in credit.dtypes
        )
    )
