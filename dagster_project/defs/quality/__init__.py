"""Data-quality gates: Great Expectations suites and the asset checks that run them."""
