"""Pair features: from similarity matrices to one feature vector per (profile, cluster).

Pure functions on arrays, no text and no model: the head learns on their output. Shapes use
``n`` profiles, ``k`` clusters, ``f`` features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from matcher.similarity import per_cluster, relative

#: Features per similarity source: four reductions (max and top-3 mean over the prototypes and over
#: the examples), each as value, margin and z-score; then the no-fit pool's max and mean, and the
#: examples' max and mean minus them. The no-fit pool's max is at offset ``NONE_MAX`` of a block.
PER_SOURCE, NONE_MAX = 16, 12

#: Per similarity source: the profiles' similarities to the prototypes (n, n_prototypes), the
#: examples (n, n_examples) and the no-fit profiles (n, n_nofit).
Source = tuple[np.ndarray, np.ndarray, np.ndarray]


def pair_features(
    sources: Sequence[Source],
    prototype_owner: np.ndarray,
    example_owner: np.ndarray,
    n_clusters: int,
    *,
    masks: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    codes: tuple[np.ndarray, np.ndarray] | None = None,
    learned: np.ndarray | None = None,
) -> np.ndarray:
    """The features of every (profile, cluster) pair, shape (n, k, f).

    Args:
        sources: per similarity source (each encoder, then the n-grams), the three similarity
            matrices of :data:`Source`.
        prototype_owner: (n_prototypes,) cluster index of each prototype.
        example_owner: (n_examples,) cluster index of each example.
        n_clusters: ``k``.
        masks: boolean masks of the same shapes as a source's three matrices; a masked item is
            left out (a profile is never evidence for itself while the matcher is fitted).
        codes: what the activity codes the profiles cite say: (n, k) weights and (n,) whether any
            code is cited; appended as those two, when given.
        learned: (n, k + 1) classifier scores, the last column for "fits no cluster"; appended as
            value, margin, z-score and the no-fit score, when given.

    A cluster with no example falls back on its prototypes; one with no prototype gets zeros.
    """
    k = n_clusters
    blocks: list[np.ndarray] = []
    for s_cat, s_ex, s_none in sources:
        n = s_cat.shape[0]
        s_cat = s_cat.astype(np.float32)
        s_ex = s_ex.astype(np.float32)
        s_none = s_none.astype(np.float32).reshape(n, -1)
        if masks is not None:
            s_cat = np.where(masks[0], -np.inf, s_cat)
            s_ex = np.where(masks[1], -np.inf, s_ex)
            s_none = np.where(masks[2].reshape(n, -1), -np.inf, s_none)
        none_max, none_mean = per_cluster(s_none, np.zeros(s_none.shape[1], dtype=int), 1)
        none_max = np.nan_to_num(np.repeat(none_max, k, axis=1))
        none_mean = np.nan_to_num(np.repeat(none_mean, k, axis=1))
        cat_max, cat_mean = per_cluster(s_cat, prototype_owner, k)
        ex_max, ex_mean = per_cluster(s_ex, example_owner, k)
        ex_max = np.where(np.isnan(ex_max), cat_max, ex_max)
        ex_mean = np.where(np.isnan(ex_mean), cat_mean, ex_mean)
        cat_max, cat_mean = np.nan_to_num(cat_max), np.nan_to_num(cat_mean)
        for v in (cat_max, cat_mean, ex_max, ex_mean):
            margin, z = relative(v)
            blocks.extend([v, margin, z])
        blocks.extend([none_max, none_mean, ex_max - none_max, ex_mean - none_mean])
    if codes is not None:
        weights, cited = codes
        blocks.extend([weights.astype(np.float32), np.repeat(cited.reshape(-1, 1), k, axis=1).astype(np.float32)])
    if learned is not None:  # last: the no-fit score is the last feature (see nofit_evidence)
        p_cluster, p_none = learned[:, :k], np.repeat(learned[:, k:], k, axis=1)
        margin, z = relative(p_cluster)
        blocks.extend([p_cluster, margin, z, p_none])
    return np.stack(blocks, axis=2)


def nofit_evidence(X: np.ndarray, n_sources: int, *, learned: bool) -> np.ndarray:
    """Per profile, how much it resembles those that fit no cluster, shape (n, n_sources + learned).

    ``X`` is :func:`pair_features`' output (n, k, f): the no-fit pool's max of each source, and the
    classifier's no-fit score when ``learned`` (the same for every cluster, so read from the first).
    """
    cols = [s * PER_SOURCE + NONE_MAX for s in range(n_sources)] + ([X.shape[2] - 1] if learned else [])
    return X[:, 0, cols].astype(np.float64)
