"""Markov-chain removal-effect attribution, computed from the absorbing chain, not simulated.

Why: rule-based models (first touch, last touch, linear) ignore what the journeys say about which
channels actually move people towards a conversion. The Markov model fits a chain to the observed
journeys and credits each channel by how much the chain's conversion probability drops when the
channel is taken away (its *removal effect*). Here the drop is computed from the absorbing chain
by linear algebra, never by simulating journeys, so the result is deterministic and fast enough
for thousands of channels and a million distinct paths (see :func:`benchmark`).

The chain
---------
Transient states are ``start`` and one state per channel (for ``order=k``, one per observed
k-tuple of consecutive channels, see below); ``conversion`` and ``null`` are absorbing. Every
path ``c1 > c2 > ... > cm`` seen by ``conversions + null_count`` journeys adds that many
transitions ``start -> c1`` and ``c_i -> c_(i+1)``, plus ``conversions`` transitions
``cm -> conversion`` and ``null_count`` transitions ``cm -> null``. Transition probabilities are
the counts divided by their row totals. With ``Q`` the transient-to-transient block and ``r`` the
transient-to-conversion column, the conversion probabilities ``x`` from every state solve
``(I - Q) x = r``, and ``P(conversion) = x[start]``.

Removal effects, exactly
------------------------
Removing channel ``c`` sends every transition into ``c`` to ``null`` instead. That is the same as
asking for the probability of reaching ``conversion`` *without ever visiting* ``c``. With the
fundamental matrix ``N = (I - Q)^-1`` (``N[i, j]`` = expected visits to ``j`` from ``i``), the
probability of ever hitting ``c`` from ``start`` is ``N[start, c] / N[c, c]``, and after the first
hit the chain converts with probability ``x[c]`` (strong Markov property), so::

    P(conversion | c removed) = x[start] - N[start, c] * x[c] / N[c, c]
    removal_effect(c)         = N[start, c] * x[c] / (N[c, c] * x[start])

The same formula follows from Sherman-Morrison: removing ``c`` replaces row ``c`` of ``(I - Q)``
by the unit row ``e_c`` (and ``r[c]`` by 0), a rank-one change ``(I - Q) + e_c Q[c, :]`` whose
denominator ``1 + Q[c, :] N[:, c]`` equals ``N[c, c]``. Computing the effect directly as the
product above avoids the cancellation of ``1 - P_removed / P``.

For ``order=k`` a channel lives in several states (every k-tuple containing it) and its removal
removes all of them. A tuple holding ``c`` in an earlier position can only be entered from one
whose latest step is ``c`` (states shift by one step at a time, and the first state is a 1-tuple),
so avoiding every state that contains ``c`` is the same as avoiding the set ``B`` of states whose
*latest* step is ``c``; these sets partition the states. The first-hit distribution over ``B`` is
``N[start, B] N[B, B]^-1``, hence ``removal_effect = N[start, B] N[B, B]^-1 x[B] / x[start]``
(block Sherman-Morrison / Woodbury). States that cannot be reached from ``start`` or cannot
convert are dropped from ``B`` first: the value is unchanged and the blocks stay small. The tests
check all of this against removing every state that contains ``c`` and solving again.

Solvers and complexity (T = steps over all paths, n = transient states, C = channels)
-------------------------------------------------------------------------------------
* Parsing and counting: O(T log T), vectorised (``np.unique`` / ``np.bincount`` on integer
  state codes); no Python loop over steps.
* ``"dense"``: one inverse of ``I - Q``, O(n^3) time, O(n^2) memory; then O(C) for first order,
  one ``|B| x |B|`` solve per channel for higher orders. Exact. Best when the chain is dense,
  which first-order chains over many channels are (2,000 channels: about 1.5 s).
* ``"iterative"`` (scipy): the same quantities by pushing probability mass through the sparse
  chain, all channels of a batch at once, O(nnz(Q) * C) per step, until a certified bound says
  the remaining error is below ``tol`` (1e-12) relative to P(conversion); self-loops are
  eliminated exactly first. Deterministic; not a simulation. Best for large sparse
  higher-order chains (see :func:`_iterative_effects`).
* A sparse LU (``scipy.sparse.linalg.splu``) with one solve per removal-set state was tried and
  dropped: these chains have no locality (random or de Bruijn-like graphs), the LU fills in,
  and it ran 10 to 200 times slower than the better of the two above.
* ``"auto"``: dense when its O(n^3) is cheaper than about 100 iterative steps and the inverse
  fits in 8 GiB, else iterative (dense when scipy is missing).

Conventions
-----------
* Repeated channels: kept by default (``collapse_repeats=False``), so ``A > A > B`` counts a
  self-loop ``A -> A``. For ``order=1`` this cannot change removal effects (a self-loop only
  lengthens the stay in ``A``; where the chain goes next is unchanged); for higher orders it
  does, since ``(A, A)`` is a state of its own. ``collapse_repeats=True`` merges consecutive
  repeats first.
* Exactness: ``"dense"`` is exact up to floating-point rounding (the tests agree with a direct
  re-solve to 1e-9, in practice ~1e-15); ``"iterative"`` stops once a proven bound puts every
  removal effect within about ``tol`` (default 1e-12) of the exact value. Both are deterministic.
* Normalisation: ``attributed_share = removal_effect / sum(removal_effects)``; conversions and
  value of touched paths are split with the same shares, so the ``attributed_conversions`` and
  ``attributed_value`` columns add up to the input totals up to floating-point rounding
  (relative error of order 1e-15 times the number of channels).
* Paths with no touch cannot enter the chain: their conversions and value are reported on a
  separate ``(no touch)`` row (removal effect and share left empty); their ``null_count`` is not
  used.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

NO_TOUCH = "(no touch)"
"""Channel label of the output row that carries conversions of journeys with no touch."""

INPUT_COLUMNS = ("path", "conversions", "conversion_value", "null_count")
MARKOV_COLUMNS = [
    "channel",
    "removal_effect",
    "attributed_share",
    "attributed_conversions",
    "attributed_value",
]

# The iterative solver pushes mass for this many bytes' worth of channels at a time.
_BLOCK_BYTES = 256 * 2**20


# --------------------------------------------------------------------------------------------
# Input: a path table, parsed to integer channel codes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathTable:
    """A path table parsed to integer codes; shared by the Markov and Shapley models.

    ``channels`` is sorted, ``codes`` holds the steps of every touched path one path after the
    other (``lengths`` steps each, all > 0), and the per-path arrays are float64. Journeys with an
    empty path are summed into the ``no_touch_*`` figures; ``has_no_touch`` says whether the input
    had any such row.
    """

    channels: np.ndarray
    codes: np.ndarray
    lengths: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray
    has_no_touch: bool
    no_touch_conversions: float
    no_touch_value: float

    @property
    def path_ids(self) -> np.ndarray:
        """Index of the path each step belongs to."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)

    @property
    def starts(self) -> np.ndarray:
        """Index in ``codes`` of each path's first step."""
        return np.cumsum(self.lengths) - self.lengths


def _as_frame(paths: pd.DataFrame | Iterable[Any]) -> pd.DataFrame:
    if isinstance(paths, pd.DataFrame):
        return paths
    rows = list(paths)
    if not rows:
        return pd.DataFrame({c: [] for c in INPUT_COLUMNS})
    if all(isinstance(r, Mapping) for r in rows):
        return pd.DataFrame.from_records(rows)
    # tuples in the documented order; a 3-tuple has no conversion_value
    width = len(rows[0])
    if width not in (3, 4) or any(len(r) != width for r in rows):
        raise ValueError(
            "tuples must be (path, conversions, conversion_value, null_count) "
            "or (path, conversions, null_count)"
        )
    columns = list(INPUT_COLUMNS) if width == 4 else ["path", "conversions", "null_count"]
    return pd.DataFrame({c: [r[i] for r in rows] for i, c in enumerate(columns)})


def _weights(frame: pd.DataFrame, column: str, required: bool) -> np.ndarray:
    if column not in frame.columns:
        if required:
            raise ValueError(f"path table has no {column!r} column (needs {INPUT_COLUMNS})")
        return np.zeros(len(frame))
    values = pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{column!r} must be finite and non-negative")
    return values


def _steps_of(path: Any, sep: str) -> Sequence[Any]:
    if isinstance(path, str):
        return path.split(sep) if path.strip() else ()
    if path is None or path is pd.NA or (isinstance(path, float) and math.isnan(path)):
        return ()
    return path


def read_paths(paths: pd.DataFrame | Iterable[Any], *, sep: str = ">") -> PathTable:
    """Parse a path table into integer channel codes (vectorised: no loop over steps).

    ``paths`` is a DataFrame with columns ``path``, ``conversions``, ``null_count`` and optionally
    ``conversion_value`` (0 when absent), or an iterable of dicts with those keys, or of tuples
    ``(path, conversions, conversion_value, null_count)`` (or ``(path, conversions,
    null_count)``). A ``path`` is a sequence of channel names (list, tuple, array) or a string
    split on ``sep`` (names are stripped, so ``"a > b"`` and ``"a>b"`` agree); an empty
    sequence, empty string, None or NA is a journey with no touch. Channel names are compared
    as strings. Counts may be fractional; they must be finite and non-negative.
    """
    if not sep:
        raise ValueError("sep must be a non-empty string")
    frame = _as_frame(paths)
    if "path" not in frame.columns:
        raise ValueError(f"path table has no 'path' column (needs {INPUT_COLUMNS})")
    conversions = _weights(frame, "conversions", required=True)
    value = _weights(frame, "conversion_value", required=False)
    nulls = _weights(frame, "null_count", required=True)

    raw = frame["path"].to_numpy(dtype=object)
    if pd.api.types.infer_dtype(raw, skipna=False) == "string":
        # Fast path: all strings. Plain str methods beat pandas' object-dtype .str here.
        texts = [p.strip() for p in raw]
        lengths = np.fromiter(
            (p.count(sep) + 1 if p else 0 for p in texts), dtype=np.int64, count=len(texts)
        )
        touched = [p for p in texts if p]
        steps = sep.join(touched).split(sep) if touched else []
    else:
        lists = [_steps_of(p, sep) for p in raw]
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        steps = list(itertools.chain.from_iterable(lists))
    lengths = np.asarray(lengths, dtype=np.int64)

    if steps:
        step_codes, uniques = pd.factorize(np.asarray(steps, dtype=object), sort=False)
        names = np.asarray([str(u).strip() for u in uniques], dtype=object)
        if np.any(names == ""):
            raise ValueError("a path has an empty channel name (check separators)")
        if np.any(names == NO_TOUCH):
            raise ValueError(f"{NO_TOUCH!r} is reserved for journeys with no touch")
        channels, remap = np.unique(names, return_inverse=True)
        codes = remap.reshape(-1)[step_codes].astype(np.int64)
    else:
        channels = np.asarray([], dtype=object)
        codes = np.zeros(0, dtype=np.int64)

    has = lengths > 0
    return PathTable(
        channels=channels.astype(object),
        codes=codes,
        lengths=lengths[has],
        conversions=conversions[has],
        value=value[has],
        nulls=nulls[has],
        has_no_touch=bool(np.any(~has)),
        no_touch_conversions=math.fsum(conversions[~has]),
        no_touch_value=math.fsum(value[~has]),
    )


# --------------------------------------------------------------------------------------------
# The chain
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chain:
    """Transient states 0 = start, 1..S = observed states; row-normalised transitions."""

    n: int
    src: np.ndarray  # transient -> transient transitions (duplicates allowed), probabilities
    dst: np.ndarray
    prob: np.ndarray
    to_conversion: np.ndarray  # r: probability of stepping to `conversion`, per transient state
    last_channel: np.ndarray  # channel code of each state's latest step (-1 for start)
    n_channels: int

    def channel_states(self) -> list[np.ndarray]:
        """Per channel, the states whose latest step is that channel (its removal set B_c)."""
        order = np.argsort(self.last_channel[1:], kind="stable") + 1
        sizes = np.bincount(self.last_channel[1:], minlength=self.n_channels)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        return [order[bounds[c] : bounds[c + 1]] for c in range(self.n_channels)]


def _build_chain(table: PathTable, order: int, collapse_repeats: bool) -> _Chain:
    if order < 1:
        raise ValueError("order must be >= 1")
    n_channels = len(table.channels)
    codes, lengths = table.codes, table.lengths
    path_ids = table.path_ids
    if collapse_repeats and len(codes):
        keep = np.ones(len(codes), dtype=bool)
        keep[1:] = (codes[1:] != codes[:-1]) | (path_ids[1:] != path_ids[:-1])
        codes, path_ids = codes[keep], path_ids[keep]
        lengths = np.bincount(path_ids, minlength=len(lengths))
    starts = np.cumsum(lengths) - lengths

    # Integer state of every step: the channel itself (order 1) or the tuple of the last
    # `order` channels, shorter at the start of a path (equivalent to padding with `start`).
    if order == 1:
        state_of_step = codes
        last_channel = np.arange(n_channels)
    else:
        position = np.arange(len(codes)) - np.repeat(starts, lengths)
        digits = np.zeros((len(codes), order), dtype=np.int64)  # column 0: latest channel + 1
        for t in range(order):
            digits[t:, t] = codes[: len(codes) - t] + 1
            digits[position < t, t] = 0  # 0 = "before the first touch"
        base = n_channels + 1
        if order * math.log2(max(base, 2)) < 62:
            key = np.zeros(len(codes), dtype=np.int64)
            for t in range(order):
                key = key * base + digits[:, t]
            uniq, state_of_step = np.unique(key, return_inverse=True)
            last_channel = uniq // base ** (order - 1) - 1
        else:  # too many channels for an int64 key: unique rows instead (slower, same result)
            state_digits, state_of_step = np.unique(digits, axis=0, return_inverse=True)
            last_channel = state_digits[:, 0] - 1
        state_of_step = state_of_step.reshape(-1)

    n = len(last_channel) + 1
    weight = table.conversions + table.nulls
    transient = state_of_step + 1
    same = path_ids[1:] == path_ids[:-1]
    src = np.concatenate([np.zeros(len(lengths), dtype=np.int64), transient[:-1][same]])
    dst = np.concatenate([transient[starts], transient[1:][same]])
    wts = np.concatenate([weight, weight[path_ids[:-1][same]]])
    last = transient[starts + lengths - 1]
    conv_in = np.bincount(last, weights=table.conversions, minlength=n)
    null_in = np.bincount(last, weights=table.nulls, minlength=n)
    nonzero = wts > 0
    src, dst, wts = src[nonzero], dst[nonzero], wts[nonzero]
    out = np.bincount(src, weights=wts, minlength=n) + conv_in + null_in
    safe = np.where(out > 0, out, 1.0)  # a state seen only on zero-weight paths goes nowhere
    return _Chain(
        n=n,
        src=src,
        dst=dst,
        prob=wts / safe[src],
        to_conversion=conv_in / safe,
        last_channel=np.concatenate([[-1], last_channel]).astype(np.int64),
        n_channels=n_channels,
    )


# --------------------------------------------------------------------------------------------
# Removal effects
# --------------------------------------------------------------------------------------------


def _have_scipy() -> bool:
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:  # pragma: no cover - scipy ships with the project's environment
        return False
    return True


def _dense_effects(chain: _Chain) -> tuple[np.ndarray, float]:
    """Unnormalised effects ``N[start, B] N[B, B]^-1 x[B]`` per channel, and P(conversion)."""
    q = np.bincount(chain.src * chain.n + chain.dst, weights=chain.prob, minlength=chain.n**2)
    fundamental = np.linalg.inv(np.eye(chain.n) - q.reshape(chain.n, chain.n))
    x = fundamental @ chain.to_conversion
    row_start = fundamental[0]
    effects = np.zeros(chain.n_channels)
    for c, b in enumerate(chain.channel_states()):
        # Drop states unreachable from start or that cannot convert: exact, keeps blocks small.
        b = b[(row_start[b] != 0) & (x[b] != 0)]
        if len(b) == 1:
            effects[c] = row_start[b[0]] * x[b[0]] / fundamental[b[0], b[0]]
        elif len(b) > 1:
            effects[c] = _set_effect(fundamental[np.ix_(b, b)], row_start[b], x[b])
    return effects, float(x[0])


def _set_effect(block: np.ndarray, row_start: np.ndarray, x: np.ndarray) -> float:
    """``N[start, B] N[B, B]^-1 x[B]``: probability of converting after first hitting B."""
    first_hit = np.linalg.solve(block.T, row_start)
    return float(first_hit @ x)


def _iterative_effects(chain: _Chain, tol: float, max_iter: int) -> tuple[np.ndarray, float]:
    """The same effects by propagating probability mass, to a certified error bound.

    Self-loops are removed first by rescaling their rows (exact: where the chain goes next is
    unchanged). ``x`` comes from ``x <- Q x + r``, stopped when the mass still in transit after
    t steps, ``max(Q^t 1)``, is below ``tol * P(conversion)``. Then, for a batch of channels at
    once, the start distribution is pushed forward (``M <- Q^T M``), and the mass entering the
    channel's own removal set B_c is taken out and credited ``x[b]``; the sum converges to
    ``sum_b H[start, b] x[b]``, and what is still in transit can add at most ``x . M`` more, which
    is the stopping test. Every step costs O(nnz(Q) * batch).
    """
    from scipy.sparse import csr_array

    n = chain.n
    loop = chain.src == chain.dst
    stay = np.bincount(chain.src[loop], weights=chain.prob[loop], minlength=n)
    # every state seen on a journey has an exit, so stay < 1; guard the degenerate case anyway
    scale = np.divide(1.0, 1.0 - stay, out=np.zeros(n), where=stay < 1)
    keep = ~loop
    q = csr_array(
        (chain.prob[keep] * scale[chain.src[keep]], (chain.src[keep], chain.dst[keep])),
        shape=(n, n),
    )
    r = chain.to_conversion * scale

    x = np.zeros(n)
    in_transit = np.ones(n)
    for _ in range(max_iter):
        x = q @ x + r
        in_transit = q @ in_transit
        if in_transit.max() <= tol * x[0]:
            break
    else:
        raise RuntimeError(f"conversion probabilities did not converge in {max_iter} steps")
    p_conversion = float(x[0])

    q_forward = csr_array(q.T)
    effects = np.zeros(chain.n_channels)
    batch = max(1, min(chain.n_channels, _BLOCK_BYTES // (8 * n)))
    states = np.arange(1, n)
    for lo in range(0, chain.n_channels, batch):
        hi = min(lo + batch, chain.n_channels)
        owned = (chain.last_channel[1:] >= lo) & (chain.last_channel[1:] < hi)
        rows, cols = states[owned], chain.last_channel[1:][owned] - lo
        mass = np.zeros((n, hi - lo))
        mass[0] = 1.0
        credit = np.zeros(hi - lo)
        for _ in range(max_iter):
            mass = q_forward @ mass
            entering = mass[rows, cols]
            credit += np.bincount(cols, weights=entering * x[rows], minlength=hi - lo)
            mass[rows, cols] = 0.0
            if (x @ mass).max() <= tol * p_conversion:
                break
        else:
            raise RuntimeError(f"removal effects did not converge in {max_iter} steps")
        effects[lo:hi] = credit
    return effects, p_conversion


def _choose_method(chain: _Chain) -> str:
    """Dense inverse when it is cheaper than mass propagation (and fits in memory)."""
    if chain.n <= 1000 or not _have_scipy():
        return "dense"
    dense_flops = 2.0 * chain.n**3
    iterative_flops = 2.0 * len(chain.src) * chain.n_channels * 100  # ~100 steps
    fits = 3 * 8 * chain.n**2 <= 8 * 2**30
    return "dense" if fits and dense_flops <= iterative_flops else "iterative"


def _removal_effects(
    chain: _Chain, method: str, tol: float = 1e-12, max_iter: int = 100_000
) -> tuple[np.ndarray, float, str]:
    """Removal effect per channel code, P(conversion) and the solver used."""
    if method == "auto":
        method = _choose_method(chain)
    if method not in ("dense", "iterative"):
        raise ValueError("method must be 'auto', 'dense' or 'iterative'")
    if chain.to_conversion.sum() == 0:  # nothing converts: nothing to attribute
        return np.zeros(chain.n_channels), 0.0, method
    if method == "iterative":
        effects, p_conversion = _iterative_effects(chain, tol, max_iter)
    else:
        effects, p_conversion = _dense_effects(chain)
    if not p_conversion > 0:  # pragma: no cover - conversions reachable imply p > 0
        return np.zeros(chain.n_channels), 0.0, method
    # Exact up to rounding; clip the rounding noise so effects stay in [0, 1].
    return np.clip(effects / p_conversion, 0.0, 1.0), p_conversion, method


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _credit_frame(
    table: PathTable,
    score: np.ndarray,
    share: np.ndarray,
    conversions: np.ndarray,
    value: np.ndarray,
    score_column: str,
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "channel": pd.Series(table.channels, dtype=object),
            score_column: score,
            "attributed_share": share,
            "attributed_conversions": conversions,
            "attributed_value": value,
        }
    )
    if table.has_no_touch:
        no_touch = pd.DataFrame(
            {
                "channel": [NO_TOUCH],
                score_column: [np.nan],
                "attributed_share": [np.nan],
                "attributed_conversions": [table.no_touch_conversions],
                "attributed_value": [table.no_touch_value],
            }
        )
        frame = pd.concat([frame, no_touch], ignore_index=True) if len(frame) else no_touch
    return frame.astype({c: "float64" for c in frame.columns if c != "channel"})


def _normalise(scores: np.ndarray) -> np.ndarray:
    total = math.fsum(scores)
    return scores / total if total > 0 else np.zeros_like(scores)


def markov_attribution(
    paths: pd.DataFrame | Iterable[Any],
    *,
    order: int = 1,
    collapse_repeats: bool = False,
    sep: str = ">",
    method: Literal["auto", "dense", "iterative"] = "auto",
    tol: float = 1e-12,
) -> pd.DataFrame:
    """Credit conversions and value to channels by exact Markov-chain removal effects.

    Args:
        paths: the path table (see :func:`read_paths`): ``path``, ``conversions``,
            ``conversion_value``, ``null_count``; one row per distinct path is typical, but
            repeated paths simply add up.
        order: memory of the chain; states are tuples of the last ``order`` channels.
        collapse_repeats: merge consecutive repeats of a channel before fitting (see module
            docstring: no effect on removal effects when ``order=1``).
        sep: separator of string paths.
        method: how the chain is solved (all give the same numbers, see the module docstring):
            ``"dense"`` (numpy inverse, exact), ``"iterative"`` (scipy sparse matrices, mass
            propagation to a certified bound ``tol``) or
            ``"auto"`` (dense when that is cheaper and fits in memory, else iterative).
        tol: error bound of ``"iterative"`` on each removal effect, relative to
            P(conversion).

    Returns:
        One row per channel, sorted by name: ``channel``, ``removal_effect`` (in [0, 1]),
        ``attributed_share`` (sums to 1 over channels when anything converts),
        ``attributed_conversions`` and ``attributed_value`` (share times the totals of touched
        paths), then a ``(no touch)`` row if the input had empty paths. ``attrs`` holds
        ``conversion_probability``, ``n_states`` (transient, with start), ``order`` and
        ``method``.

    Example: the four-path table of Serhii Puzyrov, "Markov Chain Attribution - Simple
    Explanation Of Removal Effect" (serhiipuzyrov.com, July 2019). Its transition table is
    start -> google ads 4/5, start -> mailing 1/5, google ads -> conversion 1/2, -> mailing 1/4,
    -> null 1/4, mailing -> conversion 1. So P(conversion) = 0.8 * 0.75 + 0.2 = 0.8; without
    google ads it is 0.2 (effect 0.75), without mailing 0.8 * 0.5 = 0.4 (effect 0.5); shares
    0.6 and 0.4 of the 4 conversions.

    >>> table = [
    ...     ("google ads", 2, 200.0, 0),
    ...     ("mailing", 1, 50.0, 0),
    ...     ("google ads > mailing", 1, 150.0, 0),
    ...     ("google ads", 0, 0.0, 1),
    ... ]
    >>> markov_attribution(table).round(6).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'channel': ['google ads', 'mailing'], 'removal_effect': [0.75, 0.5],
     'attributed_share': [0.6, 0.4], 'attributed_conversions': [2.4, 1.6],
     'attributed_value': [240.0, 160.0]}
    """
    table = read_paths(paths, sep=sep)
    chain = _build_chain(table, order, collapse_repeats)
    effects, p_conversion, used = _removal_effects(chain, method, tol)
    share = _normalise(effects)
    frame = _credit_frame(
        table,
        score=effects,
        share=share,
        conversions=share * math.fsum(table.conversions),
        value=share * math.fsum(table.value),
        score_column="removal_effect",
    )
    frame.attrs.update(
        conversion_probability=p_conversion, n_states=chain.n, order=order, method=used
    )
    return frame


# --------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------


def random_path_table(
    n_paths: int, n_channels: int, *, seed: int = 0, max_length: int = 12, as_strings: bool = True
) -> pd.DataFrame:
    """A table of ``n_paths`` distinct random paths over ``n_channels`` channels.

    Channel popularity is Zipf-like and path lengths geometric (mean about 3), roughly what
    marketing touch data looks like. Used by the benchmark and the scale test.
    """
    rng = np.random.default_rng(seed)
    names = np.array([f"ch{i:05d}" for i in range(n_channels)], dtype=object)
    popularity = 1.0 / np.arange(1, n_channels + 1) ** 0.8
    popularity /= popularity.sum()
    found: dict[str, tuple[str, ...]] = {}
    while len(found) < n_paths:
        want = int((n_paths - len(found)) * 1.2) + 16
        lengths = np.minimum(rng.geometric(0.35, size=want), max_length)
        flat = names[rng.choice(n_channels, size=int(lengths.sum()), p=popularity)].tolist()
        ends = np.cumsum(lengths).tolist()
        begin = 0
        for end in ends:
            steps = tuple(flat[begin:end])
            begin = end
            found.setdefault(" > ".join(steps), steps)
            if len(found) == n_paths:
                break
    keys = list(found)
    conversions = rng.poisson(0.4, size=n_paths).astype(np.float64)
    return pd.DataFrame(
        {
            "path": keys if as_strings else [found[k] for k in keys],
            "conversions": conversions,
            "conversion_value": np.round(conversions * rng.gamma(2.0, 60.0, size=n_paths), 2),
            "null_count": rng.poisson(3.0, size=n_paths).astype(np.float64),
        }
    )


def benchmark(
    n_paths: int = 1_000_000,
    n_channels: int = 2_000,
    *,
    order: int = 1,
    seed: int = 0,
    printer: Callable[[str], None] = print,
) -> dict[str, float]:
    """Time :func:`markov_attribution` on random distinct paths and print the figures.

    ``python -c "from dagster_project.attribution.markov import benchmark; benchmark()"``

    Prints the time to parse the table, build the chain and compute the removal effects, and the
    end-to-end time of one :func:`markov_attribution` call (path generation is not included).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    frame = random_path_table(n_paths, n_channels, seed=seed)
    timings["generate_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    table = read_paths(frame)
    timings["parse_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    chain = _build_chain(table, order, collapse_repeats=False)
    timings["build_chain_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, _, used = _removal_effects(chain, "auto")
    timings["removal_effects_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    result = markov_attribution(frame, order=order)
    timings["end_to_end_s"] = time.perf_counter() - t0
    steps = int(table.lengths.sum())
    printer(
        f"markov_attribution: {n_paths:,} distinct paths, {n_channels:,} channels, "
        f"{steps:,} steps, order {order}, {chain.n:,} transient states, "
        f"{len(chain.src):,} transitions, solver {used}"
    )
    printer(
        f"  generate {timings['generate_s']:.2f} s | parse {timings['parse_s']:.2f} s | "
        f"build chain {timings['build_chain_s']:.2f} s | "
        f"removal effects {timings['removal_effects_s']:.2f} s | "
        f"end to end {timings['end_to_end_s']:.2f} s"
    )
    printer(
        f"  P(conversion) {result.attrs['conversion_probability']:.6f}, "
        f"sum of attributed conversions {result['attributed_conversions'].sum():,.6f} "
        f"of {frame['conversions'].sum():,.0f}"
    )
    return timings
