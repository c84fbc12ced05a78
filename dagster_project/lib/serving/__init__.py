"""Serving engines: the analysts' snapshot, the PostgreSQL publish, PII and the dbt catalog."""
