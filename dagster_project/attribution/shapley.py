"""Shapley-value attribution over channel coalitions.

Why: the Shapley value is the one way of sharing a coalition's worth that is efficient (the
credits add up to the total), symmetric (interchangeable channels get equal credit), gives
nothing to a channel that never changes the worth, and is additive over games. Here the players
are channels and the worth of a coalition ``S`` is read off the journeys whose *set* of channels
lies inside ``S`` (order and repeats within a journey are ignored).

Characteristic functions
------------------------
``characteristic="total"`` (default): ``v(S)`` = conversions (resp. conversion value) of the
journeys whose channel set is a subset of ``S``. Writing ``R(T)`` for the conversions of journeys
whose channel set is exactly ``T``, ``v = sum_T R(T) u_T`` with ``u_T(S) = [T subset of S]`` a
unanimity game. The Shapley value is linear, and in ``u_T`` the members of ``T`` are symmetric
while everybody else is a dummy, so each member gets ``1 / |T|``. Hence, exactly::

    phi_j = sum over T containing j of R(T) / |T|

i.e. every journey's conversions (and value) are split equally among its distinct channels.
This is the "simplified Shapley value" of K. Zhao, S. H. Mahboobi and S. R. Bagheri,
"Shapley Value Methods for Attribution Modeling in Online Advertising", arXiv:1804.05327 (2018).
It costs O(T log T) for T steps, for any number of channels.

``characteristic="rate"``: ``v(S)`` = conversions per journey (resp. value per journey) among
the journeys whose channel set is a subset of ``S`` (0 when there is none). This game is not
additive, so the Shapley value is computed from its definition over all ``2^n`` coalitions::

    phi_j = sum over S not containing j of |S|! (n - |S| - 1)! / n! * (v(S + j) - v(S))

with coalitions as bitmasks: per-coalition totals by ``np.bincount`` over the journeys' masks,
the subset sums ``sum_{T subset of S}`` by the O(n 2^n) zeta transform (one vectorised pass per
channel), then one vectorised pass per channel for ``phi``. Time O(n 2^n + T), memory a few
arrays of ``2^n`` float64 (8 MiB each for n = 20); beyond ``max_channels`` it raises
``ValueError``. Credits can be negative in this game (a channel whose journeys convert worse
than average lowers the rate). ``method="subsets"`` also computes the ``"total"`` game this way,
which the tests use to check the closed form.

Output conventions (as :func:`dagster_project.attribution.markov.markov_attribution`)
---------------------------------------------------------------------------------------
One row per channel, sorted by name: ``shapley_value`` is ``phi`` of the conversions game (in
conversions for ``"total"``, in conversion rate for ``"rate"``); ``attributed_conversions`` and
``attributed_value`` come from the conversions game and the value game respectively, scaled so
that each adds up to the input total of touched journeys (for ``"total"`` the scale is 1, by
efficiency); ``attributed_share = attributed_conversions / total conversions``. Journeys with no
touch are reported on a ``(no touch)`` row and left out of every coalition.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from dagster_project.attribution.markov import PathTable, _credit_frame, read_paths

SHAPLEY_COLUMNS = [
    "channel",
    "shapley_value",
    "attributed_share",
    "attributed_conversions",
    "attributed_value",
]


def _closed_form(table: PathTable, weights: np.ndarray) -> np.ndarray:
    """Each path's weight split equally among its distinct channels."""
    n_channels = len(table.channels)
    if not len(table.codes):
        return np.zeros(n_channels)
    pairs = np.unique(table.path_ids * n_channels + table.codes)  # distinct (path, channel)
    path, channel = pairs // n_channels, pairs % n_channels
    distinct = np.bincount(path, minlength=len(table.lengths))
    return np.bincount(channel, weights=weights[path] / distinct[path], minlength=n_channels)


def _subset_sums(per_coalition: np.ndarray, n: int) -> np.ndarray:
    """Zeta transform: ``out[S] = sum of per_coalition[T] over T subset of S``."""
    out = per_coalition.astype(np.float64, copy=True)
    for i in range(n):
        view = out.reshape(-1, 2, 1 << i)
        view[:, 1, :] += view[:, 0, :]
    return out


def _shapley_from_game(v: np.ndarray, n: int) -> np.ndarray:
    """Shapley value of every player of the game ``v`` (indexed by bitmask), by definition."""
    size = np.zeros(1 << n, dtype=np.int64)
    for i in range(n):
        size.reshape(-1, 2, 1 << i)[:, 1, :] += 1
    # weight of a coalition S (without the player) of size s: s! (n - s - 1)! / n!
    by_size = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)] + [0.0])
    weight = by_size[size]
    phi = np.empty(n)
    for i in range(n):
        view = v.reshape(-1, 2, 1 << i)
        phi[i] = np.sum(weight.reshape(-1, 2, 1 << i)[:, 0, :] * (view[:, 1, :] - view[:, 0, :]))
    return phi


def _coalition_games(
    table: PathTable, characteristic: str, max_channels: int
) -> tuple[np.ndarray, np.ndarray, int]:
    n = len(table.channels)
    if n > max_channels:
        raise ValueError(
            f"exact Shapley values over coalitions need 2^n games: {n} channels exceed "
            f"max_channels={max_channels}. Use characteristic='total' with method='auto' "
            "(closed form, any number of channels), group channels, or raise max_channels "
            "(memory grows as 2^n)."
        )
    size = 1 << n
    if len(table.codes):
        masks = np.bitwise_or.reduceat(np.left_shift(np.int64(1), table.codes), table.starts)
    else:
        masks = np.zeros(0, dtype=np.int64)
    conv = _subset_sums(np.bincount(masks, weights=table.conversions, minlength=size), n)
    value = _subset_sums(np.bincount(masks, weights=table.value, minlength=size), n)
    if characteristic == "rate":
        journeys = _subset_sums(
            np.bincount(masks, weights=table.conversions + table.nulls, minlength=size), n
        )
        safe = np.where(journeys > 0, journeys, 1.0)
        conv = np.where(journeys > 0, conv / safe, 0.0)
        value = np.where(journeys > 0, value / safe, 0.0)
    return conv, value, n


def _scaled(phi: np.ndarray, worth: float, total: float) -> np.ndarray:
    return phi * (total / worth) if worth != 0 else np.zeros_like(phi)


def shapley_attribution(
    paths: pd.DataFrame | Iterable[Any],
    *,
    characteristic: Literal["total", "rate"] = "total",
    method: Literal["auto", "closed_form", "subsets"] = "auto",
    max_channels: int = 20,
    sep: str = ">",
) -> pd.DataFrame:
    """Credit conversions and value to channels by their Shapley values.

    Args:
        paths: the path table (see :func:`dagster_project.attribution.markov.read_paths`).
        characteristic: ``"total"`` (worth = conversions / value of journeys inside the
            coalition) or ``"rate"`` (worth = conversions / value per journey inside it).
        method: ``"closed_form"`` (``"total"`` only: equal split per journey), ``"subsets"``
            (definition over all coalitions, at most ``max_channels`` channels), or ``"auto"``
            (closed form for ``"total"``, subsets for ``"rate"``).
        max_channels: limit for the subset enumeration; more channels raise ``ValueError``.
        sep: separator of string paths.

    Returns:
        ``channel``, ``shapley_value``, ``attributed_share``, ``attributed_conversions``,
        ``attributed_value``; sorted by channel, plus a ``(no touch)`` row for empty paths.
        ``attrs`` holds ``characteristic``, ``method`` and ``worth`` (``v`` of all channels).

    Example: ``a`` alone converts 3 times, ``b`` alone once, together 6 times, so
    ``v(a) = 3, v(b) = 1, v(ab) = 10`` and ``phi_a = (3 + 9) / 2 = 6``, ``phi_b = (1 + 7) / 2 = 4``.

    >>> table = [("a", 3, 30.0, 7), ("b", 1, 10.0, 9), ("a > b", 6, 60.0, 4)]
    >>> shapley_attribution(table)[["channel", "shapley_value"]].to_dict("list")
    {'channel': ['a', 'b'], 'shapley_value': [6.0, 4.0]}
    """
    if characteristic not in ("total", "rate"):
        raise ValueError("characteristic must be 'total' or 'rate'")
    if method == "auto":
        method = "closed_form" if characteristic == "total" else "subsets"
    if method not in ("closed_form", "subsets"):
        raise ValueError("method must be 'auto', 'closed_form' or 'subsets'")
    if method == "closed_form" and characteristic != "total":
        raise ValueError("the closed form holds for characteristic='total' only")

    table = read_paths(paths, sep=sep)
    total_conversions = math.fsum(table.conversions)
    total_value = math.fsum(table.value)
    if method == "closed_form":
        phi_conv = _closed_form(table, table.conversions)
        phi_value = _closed_form(table, table.value)
        worth = total_conversions
        worth_value = total_value
    else:
        conv_game, value_game, n = _coalition_games(table, characteristic, max_channels)
        phi_conv = _shapley_from_game(conv_game, n)
        phi_value = _shapley_from_game(value_game, n)
        worth, worth_value = float(conv_game[-1]), float(value_game[-1])
    attributed = _scaled(phi_conv, worth, total_conversions)
    share = attributed / total_conversions if total_conversions > 0 else np.zeros_like(phi_conv)
    frame = _credit_frame(
        table,
        score=phi_conv,
        share=share,
        conversions=attributed,
        value=_scaled(phi_value, worth_value, total_value),
        score_column="shapley_value",
    )
    frame.attrs.update(characteristic=characteristic, method=method, worth=worth)
    return frame
