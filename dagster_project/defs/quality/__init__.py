"""Data-quality gates: Great Expectations suites and the asset checks that run them.

- ``suites/<system>/<object>.yml``: the reviewed GX suite of every raw object (``suite.py`` reads
  and checks them against the landing contracts);
- ``validation.py``: GX on the rows of new loads, DuckDB SQL for the set-level rules;
- ``checks.py``: the blocking Dagster asset checks on every raw asset (``build_quality_checks``);
- ``store.py`` / ``report.py``: results in ``raw_meta`` and the HTML report;
- ``benchmark.py``: validation time on millions of rows.
"""
