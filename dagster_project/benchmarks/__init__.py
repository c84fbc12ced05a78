"""Benchmarks (scripts with printed figures, not timed tests)."""
