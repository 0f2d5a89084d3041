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
    n, m = sims.shape
    owner = np.asarray(owner, dtype=int)
    counts = np.bincount(owner, minlength=n_clusters)[:n_clusters] if m else np.zeros(n_clusters, dtype=int)
    width = max(int(counts.max(initial=0)), 1)
    # Lay the items out as (cluster, slot); empty slots point at an extra all -inf column.
    by_owner = np.argsort(owner, kind="stable")
    keep = owner[by_owner] < n_clusters
    by_owner = by_owner[keep]
    first_slot = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slots = np.full((n_clusters, width), m)
    slots[owner[by_owner], np.arange(by_owner.size) - first_slot[owner[by_owner]]] = by_owner
    padded = np.concatenate([sims.astype(np.float32, copy=False), np.full((n, 1), -np.inf, np.float32)], axis=1)
    grouped = padded[:, slots]  # (n, n_clusters, width)
    t = min(top, width)
    largest = -np.partition(-grouped, t - 1, axis=2)[..., :t] if t < width else grouped
    finite = np.isfinite(largest)
    found = finite.sum(axis=2)
    with np.errstate(invalid="ignore"):
        best = np.where(found > 0, grouped.max(axis=2), np.nan).astype(np.float32)
        totals = np.where(finite, largest, 0.0).sum(axis=2)
        mean_top = np.where(found > 0, totals / np.maximum(found, 1), np.nan).astype(np.float32)
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
