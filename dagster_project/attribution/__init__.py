"""Data-driven attribution as pure functions: Markov-chain removal effects and Shapley values.

Both take the same path table (``path``, ``conversions``, ``conversion_value``, ``null_count``)
and return one row per channel whose attributed conversions and value add up to the input
totals, with journeys that had no touch reported on a separate ``(no touch)`` row.
``data_driven_credit`` runs both per conversion type and rounds the values to cents; the dbt
Python model ``data_driven_channel_credit`` calls it.
"""

from dagster_project.attribution.data_driven import cents_adding_up, data_driven_credit
from dagster_project.attribution.markov import NO_TOUCH, markov_attribution, read_paths
from dagster_project.attribution.shapley import shapley_attribution

__all__ = [
    "NO_TOUCH",
    "cents_adding_up",
    "data_driven_credit",
    "markov_attribution",
    "read_paths",
    "shapley_attribution",
]
