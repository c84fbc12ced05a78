"""Data-driven attribution as pure functions: Markov-chain removal effects and Shapley values.

Both take the same path table (``path``, ``conversions``, ``conversion_value``, ``null_count``)
and return one row per channel whose attributed conversions and value add up to the input
totals, with journeys that had no touch reported on a separate ``(no touch)`` row.
"""

from dagster_project.attribution.markov import NO_TOUCH, markov_attribution, read_paths
from dagster_project.attribution.shapley import shapley_attribution

__all__ = ["NO_TOUCH", "markov_attribution", "read_paths", "shapley_attribution"]
