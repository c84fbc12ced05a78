"""Source systems landing into DuckDB raw schemas (raw_crm, raw_ads, raw_billing)."""
