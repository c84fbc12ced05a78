"""Publishing: the HTML report, the read-only DuckDB snapshot and PostgreSQL for BI tools."""
