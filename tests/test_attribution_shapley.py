"""Shapley-value attribution: hand-computed games, the axioms (efficiency, symmetry, dummy), the
closed form against the subset formula, and the subset formula against the permutation
definition."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from dagster_project.attribution import NO_TOUCH, shapley_attribution
from dagster_project.attribution.shapley import SHAPLEY_COLUMNS

TOL = 1e-9


def credit(frame: pd.DataFrame, column: str = "shapley_value") -> dict[str, float]:
    channels = frame[frame["channel"] != NO_TOUCH]
    return dict(zip(channels["channel"], channels[column], strict=True))


def random_rows(seed: int, n_channels: int = 5, n_paths: int = 30):
    rng = np.random.default_rng(seed)
    names = [f"k{i}" for i in range(n_channels)]
    rows = []
    for _ in range(n_paths):
        path = [names[i] for i in rng.integers(0, n_channels, size=int(rng.integers(1, 6)))]
        conv = int(rng.integers(0, 5))
        rows.append((path, conv, float(conv * rng.integers(5, 50)), int(rng.integers(0, 6))))
    return rows


def permutation_shapley(rows, characteristic: str) -> dict[str, float]:
    """The textbook definition: average marginal contribution over all orderings."""
    players = sorted({c for path, *_ in rows for c in path})

    def v(coalition: frozenset) -> float:
        inside = [r for r in rows if r[0] and set(r[0]) <= coalition]
        conversions = sum(r[1] for r in inside)
        if characteristic == "total":
            return conversions
        journeys = sum(r[1] + r[3] for r in inside)
        return conversions / journeys if journeys else 0.0

    totals = dict.fromkeys(players, 0.0)
    orderings = list(itertools.permutations(players))
    for ordering in orderings:
        before: frozenset = frozenset()
        for player in ordering:
            totals[player] += v(before | {player}) - v(before)
            before = before | {player}
    return {p: t / len(orderings) for p, t in totals.items()}


# ------------------------------------------------------------------------------------------
# Hand-computed games
# ------------------------------------------------------------------------------------------

TWO = [("a", 3, 30.0, 7), ("b", 1, 10.0, 9), ("a > b", 6, 120.0, 4)]


@pytest.mark.parametrize("method", ["closed_form", "subsets"])
def test_two_channels_total(method):
    """v(a) = 3, v(b) = 1, v(ab) = 3 + 1 + 6 = 10.
    phi_a = 1/2 (v(a) - 0) + 1/2 (v(ab) - v(b)) = 1/2 * 3 + 1/2 * 9 = 6
    phi_b = 1/2 (v(b) - 0) + 1/2 (v(ab) - v(a)) = 1/2 * 1 + 1/2 * 7 = 4
    Value game: v(a) = 30, v(b) = 10, v(ab) = 160 -> a: 15 + 75 = 90, b: 5 + 65 = 70."""
    out = shapley_attribution(TWO, method=method)
    assert list(out.columns) == SHAPLEY_COLUMNS
    assert out["channel"].tolist() == ["a", "b"]
    np.testing.assert_allclose(out["shapley_value"], [6.0, 4.0], atol=TOL)
    np.testing.assert_allclose(out["attributed_conversions"], [6.0, 4.0], atol=TOL)
    np.testing.assert_allclose(out["attributed_share"], [0.6, 0.4], atol=TOL)
    np.testing.assert_allclose(out["attributed_value"], [90.0, 70.0], atol=TOL)


def test_two_channels_rate():
    """Journeys: a 3 + 7 = 10 (rate 0.3), b 1 + 9 = 10 (rate 0.1), ab 6 + 4 = 10.
    v(a) = 0.3, v(b) = 0.1, v(ab) = 10 / 30 = 1/3.
    phi_a = 1/2 * 0.3 + 1/2 * (1/3 - 0.1) = 4/15; phi_b = 1/2 * 0.1 + 1/2 * (1/3 - 0.3) = 1/15.
    Shares of v(ab): 4/5 and 1/5 of the 10 conversions -> 8 and 2.
    Value per journey: v(a) = 3, v(b) = 1, v(ab) = 160 / 30 = 16/3.
    phi_a = 1/2 * 3 + 1/2 * (16/3 - 1) = 11/3; phi_b = 1/2 * 1 + 1/2 * (16/3 - 3) = 5/3;
    shares 11/16 and 5/16 of 160 -> 110 and 50."""
    out = shapley_attribution(TWO, characteristic="rate")
    np.testing.assert_allclose(out["shapley_value"], [4 / 15, 1 / 15], atol=TOL)
    np.testing.assert_allclose(out["attributed_share"], [0.8, 0.2], atol=TOL)
    np.testing.assert_allclose(out["attributed_conversions"], [8.0, 2.0], atol=TOL)
    np.testing.assert_allclose(out["attributed_value"], [110.0, 50.0], atol=TOL)
    assert out.attrs["worth"] == pytest.approx(1 / 3, abs=TOL)


THREE = [
    ("A", 2, 20.0, 1),
    ("A > B", 4, 40.0, 0),
    ("B > C", 3, 30.0, 2),
    ("A > B > C > A", 6, 60.0, 3),  # channel set {A, B, C}; order and repeats do not matter
    ("C", 0, 0.0, 5),
]


@pytest.mark.parametrize("method", ["closed_form", "subsets"])
def test_three_channels_total(method):
    """R(A) = 2, R(AB) = 4, R(BC) = 3, R(ABC) = 6, R(C) = 0, so
    v(A) = 2, v(B) = 0, v(C) = 0, v(AB) = 6, v(AC) = 2, v(BC) = 3, v(ABC) = 15.
    With weights 1/3 (|S| = 0 or 2) and 1/6 (|S| = 1):
    phi_A = 1/3 * 2 + 1/6 * (6 - 0) + 1/6 * (2 - 0) + 1/3 * (15 - 3) = 2/3 + 1 + 1/3 + 4 = 6
    phi_B = 1/3 * 0 + 1/6 * (6 - 2) + 1/6 * (3 - 0) + 1/3 * (15 - 2) = 2/3 + 1/2 + 13/3 = 5.5
    phi_C = 1/3 * 0 + 1/6 * (2 - 2) + 1/6 * (3 - 0) + 1/3 * (15 - 6) = 1/2 + 3 = 3.5
    Closed form (equal split of each journey): A = 2 + 4/2 + 6/3 = 6, B = 2 + 3/2 + 2 = 5.5,
    C = 3/2 + 2 = 3.5. Sum 15 = v(ABC)."""
    out = shapley_attribution(THREE, method=method)
    np.testing.assert_allclose(out["shapley_value"], [6.0, 5.5, 3.5], atol=TOL)
    np.testing.assert_allclose(out["attributed_value"], [60.0, 55.0, 35.0], atol=TOL)


# ------------------------------------------------------------------------------------------
# Axioms and cross-checks
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("characteristic", ["total", "rate"])
def test_subset_formula_matches_permutation_definition(seed, characteristic):
    rows = random_rows(seed, n_channels=4, n_paths=20)
    expected = permutation_shapley(rows, characteristic)
    got = credit(shapley_attribution(rows, characteristic=characteristic, method="subsets"))
    assert got == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("seed", range(5))
def test_closed_form_matches_subset_formula(seed):
    rows = random_rows(10 + seed, n_channels=8, n_paths=60)
    closed = shapley_attribution(rows, method="closed_form")
    subsets = shapley_attribution(rows, method="subsets")
    pd.testing.assert_frame_equal(closed, subsets, atol=TOL, check_exact=False)


@pytest.mark.parametrize("characteristic", ["total", "rate"])
def test_efficiency(characteristic):
    rows = random_rows(3, n_channels=7, n_paths=50) + [([], 4, 44.0, 2)]
    out = shapley_attribution(rows, characteristic=characteristic)
    touched = [r for r in rows if r[0]]
    conversions = sum(r[1] for r in touched)
    journeys = sum(r[1] + r[3] for r in touched)
    worth = conversions if characteristic == "total" else conversions / journeys
    assert out["shapley_value"].sum() == pytest.approx(worth, rel=1e-12)  # NaN row skipped
    assert out.attrs["worth"] == pytest.approx(worth, rel=1e-12)
    assert out["attributed_conversions"].sum() == pytest.approx(conversions + 4, rel=1e-12)
    assert out["attributed_value"].sum() == pytest.approx(sum(r[2] for r in rows), rel=1e-12)


@pytest.mark.parametrize("characteristic", ["total", "rate"])
def test_symmetry(characteristic):
    """x and y always appear together, so they are interchangeable in every coalition."""
    rows = [("x > y", 5, 50.0, 5), ("y > z > x", 2, 10.0, 1), ("z", 1, 3.0, 9), ("x>y>x", 1, 1, 0)]
    got = credit(shapley_attribution(rows, characteristic=characteristic))
    assert got["x"] == pytest.approx(got["y"], abs=TOL)
    assert got["x"] != pytest.approx(got["z"], abs=TOL)


@pytest.mark.parametrize("method", ["closed_form", "subsets"])
def test_dummy_channel_gets_nothing(method):
    """d only appears in non-converting journeys: v(S + d) = v(S) for every S."""
    rows = [("a > b", 3, 30.0, 2), ("b", 1, 5.0, 4), ("a > d", 0, 0.0, 6), ("d", 0, 0.0, 3)]
    out = shapley_attribution(rows, method=method).set_index("channel")
    assert out.loc["d", "shapley_value"] == pytest.approx(0.0, abs=TOL)
    assert out.loc["d", "attributed_value"] == pytest.approx(0.0, abs=TOL)


def test_rate_game_penalises_a_channel_that_only_adds_non_converting_journeys():
    """Not a dummy in the rate game: d's journeys lower the conversion rate."""
    rows = [("a > b", 3, 30.0, 2), ("b", 1, 5.0, 4), ("a > d", 0, 0.0, 6), ("d", 0, 0.0, 3)]
    got = credit(shapley_attribution(rows, characteristic="rate"))
    assert got["d"] < 0 < got["a"]
    assert sum(got.values()) == pytest.approx(4 / 19, abs=TOL)  # 4 conversions, 19 journeys


# ------------------------------------------------------------------------------------------
# Edge cases and limits
# ------------------------------------------------------------------------------------------


def test_no_touch_row_and_zero_conversions():
    out = shapley_attribution([("a", 0, 0.0, 3), ("", 2, 20.0, 1), ("a > b", 0, 0.0, 1)])
    assert out["channel"].tolist() == ["a", "b", NO_TOUCH]
    assert out["attributed_conversions"].tolist()[:2] == [0.0, 0.0]
    assert out["attributed_share"].tolist()[:2] == [0.0, 0.0]
    assert out.set_index("channel").loc[NO_TOUCH, "attributed_value"] == 20.0
    rate = shapley_attribution([("a", 0, 0.0, 3)], characteristic="rate")
    assert rate["attributed_conversions"].tolist() == [0.0]


def test_channel_limit_for_subset_enumeration():
    rows = [([f"c{i}", f"c{i + 1}"], 1, 1.0, 1) for i in range(21)]  # 22 channels
    with pytest.raises(ValueError, match="max_channels=20"):
        shapley_attribution(rows, characteristic="rate")
    with pytest.raises(ValueError, match="max_channels"):
        shapley_attribution(rows, method="subsets")
    with pytest.raises(ValueError, match="closed form"):
        shapley_attribution(rows, characteristic="rate", method="closed_form")
    # the closed form has no limit
    assert len(shapley_attribution(rows)) == 22


def test_twenty_channels_exactly_is_fast_enough():
    rng = np.random.default_rng(0)
    rows = [
        ([f"c{i:02d}" for i in rng.choice(20, size=int(rng.integers(1, 5)))], 1, 2.0, 3)
        for _ in range(2_000)
    ]
    out = shapley_attribution(rows, characteristic="rate")
    assert len(out) == 20
    assert out["attributed_conversions"].sum() == pytest.approx(2_000, rel=1e-12)
    total = shapley_attribution(rows, method="subsets")
    np.testing.assert_allclose(
        total["shapley_value"], shapley_attribution(rows)["shapley_value"], atol=1e-8
    )


def test_closed_form_scales_to_many_channels():
    rng = np.random.default_rng(1)
    n_channels, n_paths = 2_000, 100_000
    lengths = rng.integers(1, 6, size=n_paths)
    codes = rng.integers(0, n_channels, size=int(lengths.sum()))
    splits = np.split(codes, np.cumsum(lengths)[:-1])
    table = pd.DataFrame(
        {
            "path": [tuple(f"ch{c}" for c in s) for s in splits],
            "conversions": rng.poisson(0.5, size=n_paths),
            "conversion_value": rng.gamma(2.0, 10.0, size=n_paths),
            "null_count": rng.poisson(2.0, size=n_paths),
        }
    )
    out = shapley_attribution(table)
    assert out["attributed_conversions"].sum() == pytest.approx(
        table["conversions"].sum(), rel=1e-12
    )
    assert math.isclose(out["attributed_share"].sum(), 1.0, rel_tol=1e-12)
