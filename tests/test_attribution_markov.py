"""Markov-chain removal-effect attribution: hand-computed and published examples, a brute-force
cross-check (each channel removed for real, chain re-solved densely), edge cases and scale."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from dagster_project.attribution import NO_TOUCH, markov_attribution
from dagster_project.attribution import markov as markov_module
from dagster_project.attribution.markov import MARKOV_COLUMNS, random_path_table

TOL = 1e-9


def effects(frame: pd.DataFrame) -> dict[str, float]:
    channels = frame[frame["channel"] != NO_TOUCH]
    return dict(zip(channels["channel"], channels["removal_effect"], strict=True))


# ------------------------------------------------------------------------------------------
# Brute force: build the chain with dicts, remove each channel for real, solve densely
# ------------------------------------------------------------------------------------------


def _states(path: list[str], order: int, collapse: bool) -> list[tuple[str, ...]]:
    if collapse:
        path = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    return [tuple(path[max(0, i - order + 1) : i + 1]) for i in range(len(path))]


def brute_force(rows, order: int = 1, collapse: bool = False) -> dict[str, float]:
    """Removal effects by definition: for each channel, delete every state that contains it
    (transitions into it are lost, i.e. go to `null`) and solve (I - Q) x = r again."""
    counts: dict[tuple, dict] = {}

    def add(a, b, w):
        if w:
            counts.setdefault(a, {})
            counts[a][b] = counts[a].get(b, 0.0) + w

    channels: set[str] = set()
    for path, conv, _value, null in rows:
        path = list(path)
        if not path:
            continue
        channels.update(path)
        states = _states(path, order, collapse)
        add("start", states[0], conv + null)
        for a, b in zip(states, states[1:], strict=False):
            add(a, b, conv + null)
        add(states[-1], "conversion", conv)
        add(states[-1], "null", null)

    def p_conversion(removed: str | None) -> float:
        keep = ["start"] + sorted(
            {s for s in counts if s != "start"}
            | {b for t in counts.values() for b in t if isinstance(b, tuple)},
        )
        keep = [s for s in keep if s == "start" or removed not in s]
        index = {s: i for i, s in enumerate(keep)}
        q = np.zeros((len(keep), len(keep)))
        r = np.zeros(len(keep))
        for a in keep:
            out = counts.get(a, {})
            total = sum(out.values())
            for b, w in out.items():
                if b == "conversion":
                    r[index[a]] += w / total
                elif b in index:
                    q[index[a], index[b]] += w / total
        return float(np.linalg.solve(np.eye(len(keep)) - q, r)[0])

    base = p_conversion(None)
    if base == 0:
        return dict.fromkeys(channels, 0.0)
    return {c: 1 - p_conversion(c) / base for c in sorted(channels)}


def random_rows(seed: int, n_channels: int = 6, n_paths: int = 40, max_len: int = 5):
    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(n_channels)]
    rows = []
    for _ in range(n_paths):
        length = int(rng.integers(0, max_len + 1)) if rng.random() < 0.9 else 0
        path = [names[i] for i in rng.integers(0, n_channels, size=length)]
        if length >= 2 and rng.random() < 0.3:
            path.insert(1, path[0])  # a repeated channel
        conv = int(rng.integers(0, 4))
        rows.append((path, conv, float(conv * rng.integers(10, 100)), int(rng.integers(0, 5))))
    return rows


# ------------------------------------------------------------------------------------------
# Worked examples
# ------------------------------------------------------------------------------------------

HAND = [
    ("A > B > C", 1, 100.0, 0),
    ("A > C", 0, 0.0, 1),
    ("B", 1, 50.0, 1),
    ("C", 1, 30.0, 0),
    ("", 2, 40.0, 7),  # journeys with no touch
]


@pytest.mark.parametrize("method", ["dense", "iterative"])
def test_hand_computed_three_channels(method):
    """Computed by hand.

    Touched journeys (weight = conversions + nulls): A>B>C x1 (conv), A>C x1 (null),
    B x2 (1 conv, 1 null), C x1 (conv). The empty path is left out of the chain.

    Transition counts and probabilities:
        start -> A 2, -> B 2, -> C 1                     => 2/5, 2/5, 1/5
        A -> B 1, A -> C 1                               => 1/2, 1/2
        B -> C 1, B -> conversion 1, B -> null 1         => 1/3 each
        C -> conversion 2 (A>B>C, C), C -> null 1 (A>C)  => 2/3, 1/3
    Conversion probabilities x: x_C = 2/3; x_B = 1/3 + 1/3 * 2/3 = 5/9;
        x_A = 1/2 * 5/9 + 1/2 * 2/3 = 11/18;
        P(conversion) = 2/5 * 11/18 + 2/5 * 5/9 + 1/5 * 2/3 = 54/90 = 3/5.
    Remove A (start -> A goes to null): 2/5 * 5/9 + 1/5 * 2/3 = 16/45 -> effect 1 - 16/27 = 11/27.
    Remove B: x_A = 1/2 * 2/3 = 1/3; P = 2/5 * 1/3 + 1/5 * 2/3 = 4/15 -> effect 1 - 4/9 = 5/9.
    Remove C: x_B = 1/3, x_A = 1/6; P = 2/5 * 1/6 + 2/5 * 1/3 = 1/5 -> effect 1 - 1/3 = 2/3.
    Sum of effects = 11/27 + 15/27 + 18/27 = 44/27; shares 11/44 = 1/4, 15/44, 18/44.
    Touched totals: 3 conversions, value 180 -> A 0.75 / 45, B 45/44 / 2700/44, C 54/44 / 3240/44.
    (no touch): 2 conversions, value 40.
    """
    out = markov_attribution(HAND, method=method)
    assert list(out.columns) == MARKOV_COLUMNS
    assert out["channel"].tolist() == ["A", "B", "C", NO_TOUCH]
    assert out.attrs["conversion_probability"] == pytest.approx(3 / 5, abs=TOL)
    np.testing.assert_allclose(out["removal_effect"][:3], [11 / 27, 5 / 9, 2 / 3], atol=TOL)
    np.testing.assert_allclose(out["attributed_share"][:3], [1 / 4, 15 / 44, 18 / 44], atol=TOL)
    np.testing.assert_allclose(
        out["attributed_conversions"], [0.75, 45 / 44, 54 / 44, 2.0], atol=TOL
    )
    np.testing.assert_allclose(
        out["attributed_value"], [45.0, 180 * 15 / 44, 180 * 18 / 44, 40.0], atol=TOL
    )
    assert math.isnan(out["removal_effect"].iloc[3])
    assert math.isnan(out["attributed_share"].iloc[3])
    assert out["attributed_conversions"].sum() == pytest.approx(5.0, abs=TOL)
    assert out["attributed_value"].sum() == pytest.approx(220.0, abs=TOL)


def test_published_example_puzyrov_2019():
    """Serhii Puzyrov, "Markov Chain Attribution - Simple Explanation Of Removal Effect"
    (serhiipuzyrov.com, July 2019): paths google ads (2 conversions), mailing (1),
    google ads > mailing (1), google ads (0 conversions, 1 null). The post's transition table:
    start -> google ads 4/5, start -> mailing 1/5, google ads -> conv 2/4, -> mailing 1/4,
    -> null 1/4, mailing -> conv 2/2. From it: P(conversion) = 0.8 * (0.5 + 0.25) + 0.2 = 0.8;
    without google ads 0.2 (effect 0.75); without mailing 0.8 * 0.5 = 0.4 (effect 0.5)."""
    table = pd.DataFrame(
        {
            "path": ["google ads", "mailing", "google ads > mailing", "google ads"],
            "conversions": [2, 1, 1, 0],
            "conversion_value": [0.0, 0.0, 0.0, 0.0],
            "null_count": [0, 0, 0, 1],
        }
    )
    out = markov_attribution(table)
    assert out.attrs["conversion_probability"] == pytest.approx(0.8, abs=TOL)
    assert effects(out) == pytest.approx({"google ads": 0.75, "mailing": 0.5}, abs=TOL)
    np.testing.assert_allclose(out["attributed_conversions"], [2.4, 1.6], atol=TOL)


def test_common_three_path_example():
    """The three-path example common in tutorials: C1 > C2 > C3 converts, C1 and C2 > C3 do
    not. start -> C1 2/3, -> C2 1/3; C1 -> C2 1/2, -> null 1/2; C2 -> C3 1; C3 -> conv 1/2,
    -> null 1/2. P(conversion) = 2/3 * 1/4 + 1/3 * 1/2 = 1/3. Removing C2 or C3 cuts every
    route (effect 1); removing C1 leaves 1/3 * 1/2 = 1/6 (effect 1/2). So the removal effects
    are 1/2, 1, 1 and the shares 0.2, 0.4, 0.4 (not equal: C1 also leads to the null)."""
    table = [("C1 > C2 > C3", 1, 10.0, 0), ("C1", 0, 0.0, 1), ("C2 > C3", 0, 0.0, 1)]
    out = markov_attribution(table)
    assert out.attrs["conversion_probability"] == pytest.approx(1 / 3, abs=TOL)
    assert effects(out) == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0}, abs=TOL)
    np.testing.assert_allclose(out["attributed_share"], [0.2, 0.4, 0.4], atol=TOL)
    np.testing.assert_allclose(out["attributed_value"], [2.0, 4.0, 4.0], atol=TOL)


# ------------------------------------------------------------------------------------------
# Against the brute force
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("method", ["dense", "iterative"])
def test_matches_direct_removal(seed, order, method):
    rows = random_rows(seed)
    expected = brute_force(rows, order=order)
    got = effects(markov_attribution(rows, order=order, method=method))
    assert got.keys() == expected.keys()
    for channel, value in expected.items():
        assert got[channel] == pytest.approx(value, abs=TOL), channel


@pytest.mark.parametrize("order", [1, 2])
def test_matches_direct_removal_with_collapsed_repeats(order):
    rows = random_rows(11)
    expected = brute_force(rows, order=order, collapse=True)
    got = effects(markov_attribution(rows, order=order, collapse_repeats=True))
    assert got == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("collapse", [False, True])
def test_solvers_agree_on_a_larger_second_order_chain(collapse):
    table = random_path_table(3_000, 40, seed=3, as_strings=False)
    results = {
        method: markov_attribution(table, order=2, method=method, collapse_repeats=collapse)
        for method in ("dense", "iterative", "auto")
    }
    assert results["dense"].attrs["n_states"] > 300
    for method, out in results.items():
        np.testing.assert_allclose(
            out["removal_effect"], results["dense"]["removal_effect"], atol=TOL, err_msg=method
        )


def test_iterative_with_heavy_self_loops_and_batches(monkeypatch):
    """Sticky self-loops (eliminated exactly) and one channel per batch."""
    monkeypatch.setattr(markov_module, "_BLOCK_BYTES", 1)
    rows = [(["a"] * 30 + ["b"], 3, 3.0, 1), (["b", "b", "a"], 1, 1.0, 5), (["c", "a"], 0, 0, 2)]
    for order in (1, 2):
        expected = brute_force(rows, order=order)
        got = effects(markov_attribution(rows, order=order, method="iterative"))
        assert got == pytest.approx(expected, abs=TOL)


# ------------------------------------------------------------------------------------------
# Edge cases
# ------------------------------------------------------------------------------------------


def test_channel_that_never_converts_gets_zero():
    """`d` only ever ends non-converting journeys: x_d = 0, so its removal changes nothing."""
    table = [("a > b", 3, 30.0, 1), ("b", 1, 10.0, 2), ("a > d", 0, 0.0, 4), ("d", 0, 0.0, 5)]
    out = markov_attribution(table)
    got = effects(out)
    assert got["d"] == 0.0
    assert out.set_index("channel").loc["d", "attributed_conversions"] == 0.0
    assert got["a"] > 0 and got["b"] > 0


def test_non_converting_journeys_can_still_feed_a_converting_state():
    """First-order memorylessness: `e` never appears in a converting journey, but it leads into
    `b`, which converts, so the chain gives `e` credit (this is the model, not a bug)."""
    table = [("b", 2, 20.0, 2), ("e > b", 0, 0.0, 2)]
    got = effects(markov_attribution(table))
    # start -> b 4/6, -> e 2/6; e -> b 1; b -> conversion 2/6. P(conversion) = 1/3;
    # without e: 4/6 * 1/3 = 2/9, so e's removal effect is 1 - (2/9) / (1/3) = 1/3.
    assert got == pytest.approx({"b": 1.0, "e": 1 / 3}, abs=TOL)


def test_repeated_channels_first_order_invariant_second_order_not():
    """In a first-order chain a self-loop only lengthens the stay: removal effects are the same
    with or without collapsing repeats. In a second-order chain (A, A) is its own state."""
    table = [
        ("A > A > B", 2, 20.0, 1),
        ("A > B > B > B", 1, 10.0, 2),
        ("B > A > A", 0, 0.0, 3),
        ("A", 1, 5.0, 3),
    ]
    kept = markov_attribution(table)
    collapsed = markov_attribution(table, collapse_repeats=True)
    np.testing.assert_allclose(kept["removal_effect"], collapsed["removal_effect"], atol=TOL)
    rows = [(p.split(" > "), c, v, n) for p, c, v, n in table]
    assert effects(markov_attribution(table, order=2)) == pytest.approx(
        brute_force(rows, order=2), abs=TOL
    )
    assert effects(markov_attribution(table, order=2, collapse_repeats=True)) == pytest.approx(
        brute_force(rows, order=2, collapse=True), abs=TOL
    )


def test_zero_conversions_gives_zeros_without_warnings():
    table = [("a > b", 0, 0.0, 3), ("b", 0, 0.0, 1), ("", 0, 0.0, 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = markov_attribution(table)
    channels = out[out["channel"] != NO_TOUCH]
    assert channels[["removal_effect", "attributed_share"]].to_numpy().tolist() == [[0, 0]] * 2
    assert out["attributed_conversions"].sum() == 0.0
    assert out.attrs["conversion_probability"] == 0.0


def test_empty_paths_are_reported_as_no_touch():
    table = [(["a"], 2, 20.0, 1), ([], 3, 33.0, 4), (None, 1, 7.0, 0), ("", 0, 0.0, 9)]
    out = markov_attribution(table).set_index("channel")
    assert out.index.tolist() == ["a", NO_TOUCH]
    assert out.loc[NO_TOUCH, "attributed_conversions"] == 4.0
    assert out.loc[NO_TOUCH, "attributed_value"] == 40.0
    assert out.loc["a", "attributed_conversions"] == 2.0
    only_empty = markov_attribution([((), 5, 50.0, 1)])
    assert only_empty["channel"].tolist() == [NO_TOUCH]
    assert only_empty["attributed_value"].tolist() == [50.0]
    no_empty = markov_attribution([("a", 1, 1.0, 0)])
    assert NO_TOUCH not in no_empty["channel"].tolist()


def test_single_channel_gets_everything():
    out = markov_attribution([("solo", 4, 400.0, 6), ("solo > solo", 1, 50.0, 0)])
    assert out.to_dict("list") == {
        "channel": ["solo"],
        "removal_effect": [1.0],
        "attributed_share": [1.0],
        "attributed_conversions": [5.0],
        "attributed_value": [450.0],
    }


@pytest.mark.parametrize("seed", range(4))
def test_totals_are_preserved(seed):
    rows = random_rows(100 + seed, n_channels=9, n_paths=80)
    out = markov_attribution(rows, order=1 + seed % 2)
    total_conv = sum(r[1] for r in rows)
    total_value = sum(r[2] for r in rows)
    assert out["attributed_conversions"].sum() == pytest.approx(total_conv, rel=1e-12)
    assert out["attributed_value"].sum() == pytest.approx(total_value, rel=1e-12)
    shares = out.loc[out["channel"] != NO_TOUCH, "attributed_share"]
    assert shares.sum() == pytest.approx(1.0, rel=1e-12)
    assert out["removal_effect"].dropna().between(0, 1).all()


def test_input_forms_agree_and_order_does_not_matter():
    rows = [
        (["x", "y"], 2, 20.0, 1),
        (["y"], 1, 5.0, 3),
        (["z", "x", "y"], 1, 9.0, 0),
        ([], 1, 1.0, 2),
    ]
    expected = markov_attribution(rows)
    as_strings = pd.DataFrame(
        {
            "path": ["x>y", " y ", "z > x >y", ""],
            "conversions": [2, 1, 1, 1],
            "conversion_value": [20.0, 5.0, 9.0, 1.0],
            "null_count": [1, 3, 0, 2],
        }
    )
    as_dicts = [dict(zip(markov_module.INPUT_COLUMNS, r, strict=True)) for r in rows]
    shuffled = pd.DataFrame(as_dicts).iloc[::-1]
    for other in (as_strings, as_dicts, shuffled, pd.DataFrame(as_dicts)):
        pd.testing.assert_frame_equal(markov_attribution(other), expected, atol=1e-12)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="null_count"):
        markov_attribution(pd.DataFrame({"path": ["a"], "conversions": [1]}))
    with pytest.raises(ValueError, match="non-negative"):
        markov_attribution([("a", -1, 0.0, 0)])
    with pytest.raises(ValueError, match="empty channel name"):
        markov_attribution([("a > > b", 1, 0.0, 0)])
    with pytest.raises(ValueError, match="order"):
        markov_attribution([("a", 1, 0.0, 0)], order=0)


# ------------------------------------------------------------------------------------------
# Scale
# ------------------------------------------------------------------------------------------


def test_thousand_channels_two_hundred_thousand_paths():
    table = random_path_table(200_000, 1_000, seed=1)
    out = markov_attribution(table)
    assert len(out) == 1_000
    assert out["attributed_conversions"].sum() == pytest.approx(
        table["conversions"].sum(), rel=1e-12
    )
    assert out["removal_effect"].between(0, 1).all()
    assert (out["removal_effect"] > 0).sum() > 900
