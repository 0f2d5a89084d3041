"""The logistic heads and their out-of-fold scores."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold

from matcher.heads import OOF_FOLDS, LanguageHeads, out_of_fold_head_scores


def _pairs(seed: int, n: int = 120, k: int = 4, f: int = 3) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pair features whose first column says, noisily, whether the cluster is acceptable."""
    rng = np.random.default_rng(seed)
    y = np.zeros((n, k), dtype=int)
    y[np.arange(n), rng.integers(0, k, n)] = 1
    X = rng.normal(size=(n, k, f))
    X[..., 0] += 2.0 * y
    langs = ["pl" if i % 2 else "en" for i in range(n)]
    return X, y, langs


def test_out_of_fold_scores_come_from_heads_fitted_without_the_profile() -> None:
    X, y, langs = _pairs(seed=1)
    oof = out_of_fold_head_scores(X, y, langs, C=1.0)
    fit_rows, held = next(KFold(OOF_FOLDS, shuffle=True, random_state=0).split(X))
    heads = LanguageHeads.fit(X[fit_rows], y[fit_rows], [langs[i] for i in fit_rows], C=1.0)
    np.testing.assert_allclose(oof[held], heads.predict(X[held], [langs[i] for i in held]))
    in_sample = LanguageHeads.fit(X, y, langs, C=1.0).predict(X, langs)
    assert oof.shape == y.shape and not np.allclose(oof, in_sample)


def test_out_of_fold_scores_still_rank_the_acceptable_cluster_first() -> None:
    X, y, langs = _pairs(seed=2)
    oof = out_of_fold_head_scores(X, y, None, C=1.0)
    assert (oof.argmax(axis=1) == y.argmax(axis=1)).mean() > 0.7
