"""Tests for matcher/similarity.py: per-cluster reductions and relative features, on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.similarity import per_cluster, relative

NEG = -np.inf

# Two queries, five items: items 0-2 belong to cluster 0, items 3-4 to cluster 1; cluster 2 has none.
SIMS = np.array(
    [
        [0.9, 0.1, 0.5, 0.3, 0.7],
        [0.2, 0.8, 0.4, 0.6, NEG],
    ],
    dtype=np.float32,
)
OWNER = np.array([0, 0, 0, 1, 1])


def test_per_cluster_max_and_top3_mean() -> None:
    best, mean_top = per_cluster(SIMS, OWNER, 2)
    assert best.shape == mean_top.shape == (2, 2)
    np.testing.assert_allclose(best, [[0.9, 0.7], [0.8, 0.6]], rtol=0, atol=1e-6)
    # row 0: (0.9 + 0.5 + 0.1) / 3 and (0.7 + 0.3) / 2; row 1: (0.8 + 0.4 + 0.2) / 3 and 0.6 (the -inf is masked)
    np.testing.assert_allclose(mean_top, [[0.5, 0.5], [1.4 / 3, 0.6]], rtol=0, atol=1e-6)


def test_per_cluster_top_is_a_parameter() -> None:
    best, mean_top = per_cluster(SIMS, OWNER, 2, top=2)
    np.testing.assert_allclose(best, [[0.9, 0.7], [0.8, 0.6]], rtol=0, atol=1e-6)
    np.testing.assert_allclose(mean_top, [[0.7, 0.5], [0.6, 0.6]], rtol=0, atol=1e-6)
    _, mean_one = per_cluster(SIMS, OWNER, 2, top=1)
    np.testing.assert_allclose(mean_one, best, rtol=0, atol=1e-6)


def test_top_mean_uses_only_the_largest_items() -> None:
    sims = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]], dtype=np.float32)
    _, mean_top = per_cluster(sims, np.zeros(5, dtype=int), 1)
    assert mean_top[0, 0] == pytest.approx(0.4, abs=1e-6)


def test_masked_items_are_ignored() -> None:
    sims = np.array([[NEG, 0.2, NEG], [0.5, NEG, 0.1]], dtype=np.float32)
    best, mean_top = per_cluster(sims, np.zeros(3, dtype=int), 1)
    np.testing.assert_allclose(best[:, 0], [0.2, 0.5], rtol=0, atol=1e-6)
    np.testing.assert_allclose(mean_top[:, 0], [0.2, 0.3], rtol=0, atol=1e-6)


def test_cluster_without_items_is_nan() -> None:
    best, mean_top = per_cluster(SIMS, OWNER, 3)
    assert best.shape == (2, 3)
    assert np.isnan(best[:, 2]).all()
    assert np.isnan(mean_top[:, 2]).all()
    assert np.isfinite(best[:, :2]).all()


def test_cluster_with_every_item_masked_is_nan() -> None:
    sims = np.array([[0.4, NEG, NEG], [0.3, 0.2, NEG]], dtype=np.float32)
    best, mean_top = per_cluster(sims, np.array([0, 1, 1]), 2)
    assert np.isnan(best[0, 1]) and np.isnan(mean_top[0, 1])
    assert best[1, 1] == pytest.approx(0.2, abs=1e-6)
    assert mean_top[1, 1] == pytest.approx(0.2, abs=1e-6)


def test_no_queries() -> None:
    best, mean_top = per_cluster(np.zeros((0, 5), dtype=np.float32), OWNER, 2)
    assert best.shape == mean_top.shape == (0, 2)


def test_relative_margins_over_the_best_other_cluster() -> None:
    values = np.array([[0.9, 0.5, 0.1], [0.2, 0.6, 0.3]])
    margin, _ = relative(values)
    np.testing.assert_allclose(margin, [[0.4, -0.4, -0.8], [-0.4, 0.3, -0.3]], atol=1e-12)


def test_relative_tied_best_has_zero_margin() -> None:
    margin, _ = relative(np.array([[0.5, 0.5, 0.1]]))
    np.testing.assert_allclose(margin, [[0.0, 0.0, -0.4]], atol=1e-12)


def test_relative_z_scores() -> None:
    values = np.array([[0.9, 0.5, 0.1], [2.0, 2.0, 2.0]])
    _, z = relative(values)
    sd = np.sqrt(0.32 / 3)
    np.testing.assert_allclose(z[0], [0.4 / sd, 0.0, -0.4 / sd], rtol=1e-4)
    np.testing.assert_allclose(z[1], [0.0, 0.0, 0.0], atol=1e-12)  # no spread: no division by zero
    np.testing.assert_allclose(z.mean(axis=1), [0.0, 0.0], atol=1e-12)


def test_relative_single_cluster_gives_zeros() -> None:
    values = np.array([[0.7], [0.2]])
    margin, z = relative(values)
    assert margin.shape == z.shape == (2, 1)
    assert not margin.any()
    assert not z.any()


def _per_cluster_by_loop(sims, owner, k, top=3):
    """The obvious reference: one cluster at a time."""
    best = np.full((sims.shape[0], k), np.nan)
    mean = np.full((sims.shape[0], k), np.nan)
    for q in range(sims.shape[0]):
        for c in range(k):
            vals = np.sort(sims[q, (owner == c) & np.isfinite(sims[q])])[::-1]
            if vals.size:
                best[q, c], mean[q, c] = vals[0], vals[:top].mean()
    return best, mean


@pytest.mark.parametrize("seed", range(5))
def test_per_cluster_agrees_with_a_plain_loop_on_random_data(seed) -> None:
    rng = np.random.default_rng(seed)
    n, m, k = 7, 40, 6
    sims = rng.uniform(-1, 1, (n, m)).astype(np.float32)
    sims[rng.random((n, m)) < 0.2] = NEG
    owner = rng.integers(0, k - 1, m)  # the last cluster has no items
    for top in (1, 3, 5):
        got = per_cluster(sims, owner, k, top=top)
        want = _per_cluster_by_loop(sims, owner, k, top=top)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=0, atol=1e-5)
