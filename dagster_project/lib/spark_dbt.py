"""``rjw-dbt``: the ``dbt`` command, able to run dbt Python models on a local Spark session.

dbt-spark submits Python models only to Databricks (its ``job_cluster`` and
``all_purpose_cluster`` methods). With the ``session`` connection method (local Spark, the
``spark`` target of dbt/profiles.yml) there is a Spark session in the dbt process already, so
this adds a ``session`` submission method that runs the model's compiled code there, and makes
it the default for session connections. Everything else is dbt unchanged; on DuckDB, or without
dbt-spark installed, it is plain ``dbt``.
"""

from __future__ import annotations

import sys
from typing import Any


def _install_session_helper() -> None:
    try:
        from dbt.adapters.base import PythonJobHelper
        from dbt.adapters.spark.impl import SparkAdapter
    except ImportError:  # dbt-spark not installed: nothing to add
        return

    class SessionPythonJobHelper(PythonJobHelper):
        """Runs a Python model's compiled code (which ends by writing the table with
        ``spark``) in this process's Spark session."""

        def __init__(self, parsed_model: dict, credentials: Any) -> None:
            self.parsed_model = parsed_model

        def submit(self, compiled_code: str) -> None:
            from pyspark.sql import SparkSession

            spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
            name = f"<dbt model {self.parsed_model.get('unique_id', 'python model')}>"
            exec(compile(compiled_code, name, "exec"), {"spark": spark, "__name__": name})

    helpers = SparkAdapter.python_submission_helpers.fget
    default = SparkAdapter.default_python_submission_method.fget

    def python_submission_helpers(self: SparkAdapter) -> dict:
        return {**helpers(self), "session": SessionPythonJobHelper}

    def default_python_submission_method(self: SparkAdapter) -> str:
        return "session" if self.config.credentials.method == "session" else default(self)

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)
    SparkAdapter.default_python_submission_method = property(default_python_submission_method)


def main() -> None:
    _install_session_helper()
    from dbt.cli.main import cli

    sys.exit(cli())


if __name__ == "__main__":
    main()
