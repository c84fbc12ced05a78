"""Data-quality gates as Dagster asset checks (``checks.py``: the blocking checks on every raw
asset). The engine (suites, Great Expectations runner, SQL rules, results store) is
``dagster_project/lib/quality/``; the HTML report is ``lib/html/quality_report.py``."""
