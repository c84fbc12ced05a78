"""Quality engine: suites, Great Expectations runner, SQL rules, results store."""
