"""Pure functions on arrays: from similarity matrices to per-cluster features. No text, no models."""

from __future__ import annotations

import numpy as np


def per_cluster(sims: np.ndarray, owner: np.ndarray, n_clusters: int, *, top: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a (n_queries, n_items) similarity matrix to per-cluster max and top-``top`` mean.

    ``owner[j]`` is the cluster index of item ``j``. Masked-out similarities are ``-inf``. A cluster
    with no (unmasked) item gets ``nan`` in both outputs, for the caller to fill.

    Returns:
        Two arrays of shape (n_queries, n_clusters).
    """
    n = sims.shape[0]
    best = np.full((n, n_clusters), np.nan, dtype=np.float32)
    mean_top = np.full((n, n_clusters), np.nan, dtype=np.float32)
    for c in range(n_clusters):
        cols = sims[:, owner == c]
        if cols.shape[1] == 0:
            continue
        k = min(top, cols.shape[1])
        part = -np.sort(-cols, axis=1)[:, :k]
        finite = np.isfinite(part)
        with np.errstate(invalid="ignore"):
            best[:, c] = np.where(finite[:, 0], part[:, 0], np.nan)
            counts = finite.sum(axis=1)
            totals = np.where(finite, part, 0.0).sum(axis=1)
            mean_top[:, c] = np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
    return best, mean_top


def relative(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each cell: its margin over the best other cluster, and its z-score across clusters.

    ``values`` has shape (n_queries, n_clusters); both outputs have the same shape.
    """
    k = values.shape[1]
    if k == 1:
        return np.zeros_like(values), np.zeros_like(values)
    order = np.sort(values, axis=1)
    first, second = order[:, -1:], order[:, -2:-1]
    best_other = np.where(values >= first, second, first)
    mu = values.mean(axis=1, keepdims=True)
    sd = values.std(axis=1, keepdims=True) + 1e-6
    return values - best_other, (values - mu) / sd
