"""Pair features: shapes, masks, the activity-code block, and where the no-fit evidence is read."""

from __future__ import annotations

import numpy as np

from matcher.features import NONE_MAX, PER_SOURCE, nofit_evidence, pair_features

RNG = np.random.default_rng(0)
N, K = 3, 4
PROTO_OWNER = np.array([0, 0, 1, 2, 3, 3])
EXAMPLE_OWNER = np.array([0, 1, 1, 2])  # cluster 3 has no example: it falls back on its prototypes


def _source() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return RNG.random((N, 6)), RNG.random((N, 4)), RNG.random((N, 5))


def test_one_block_per_source_then_codes_then_the_classifier() -> None:
    learned = RNG.random((N, K + 1))
    codes = (np.zeros((N, K)), np.array([0.0, 1.0, 0.0]))
    X = pair_features([_source(), _source()], PROTO_OWNER, EXAMPLE_OWNER, K, codes=codes, learned=learned)
    assert X.shape == (N, K, 2 * PER_SOURCE + 2 + 4)
    np.testing.assert_allclose(X[:, :, 2 * PER_SOURCE + 1], np.repeat(codes[1][:, None], K, axis=1))
    # the classifier's no-fit score stays the last feature, where the no-fit evidence reads it
    np.testing.assert_allclose(nofit_evidence(X, 2, learned=True)[:, -1], learned[:, -1], atol=1e-6)


def test_the_nofit_evidence_is_the_nearest_no_fit_profile_of_each_source() -> None:
    sources = [_source(), _source()]
    X = pair_features(sources, PROTO_OWNER, EXAMPLE_OWNER, K)
    evidence = nofit_evidence(X, 2, learned=False)
    for s, (_, _, s_none) in enumerate(sources):
        np.testing.assert_allclose(evidence[:, s], s_none.max(axis=1), atol=1e-6)
        np.testing.assert_allclose(X[:, 0, s * PER_SOURCE + NONE_MAX], s_none.max(axis=1), atol=1e-6)


def test_a_masked_item_is_not_evidence() -> None:
    s_cat, s_ex, s_none = _source()
    s_cat[:, 0] = 5.0  # far the best prototype of cluster 0 for every profile
    masks = (np.zeros_like(s_cat, bool), np.zeros_like(s_ex, bool), np.zeros_like(s_none, bool))
    masks[0][:, 0] = True
    plain = pair_features([(s_cat, s_ex, s_none)], PROTO_OWNER, EXAMPLE_OWNER, K)
    masked = pair_features([(s_cat, s_ex, s_none)], PROTO_OWNER, EXAMPLE_OWNER, K, masks=masks)
    assert (plain[:, 0, 0] == 5.0).all() and (masked[:, 0, 0] < 5.0).all()


def test_a_cluster_without_examples_falls_back_on_its_prototypes() -> None:
    s_cat, s_ex, s_none = _source()
    X = pair_features([(s_cat, s_ex, s_none)], PROTO_OWNER, EXAMPLE_OWNER, K)
    # features 6.. are the examples' max: cluster 3 has none, so it is its prototypes' max
    np.testing.assert_allclose(X[:, 3, 6], s_cat[:, 4:6].max(axis=1), atol=1e-6)
