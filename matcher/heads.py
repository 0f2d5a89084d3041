"""The logistic heads: from pair features to the probability that a cluster is acceptable.

One head shared by all languages, and one per language with enough profiles, so each weighs the
encoders by how well they serve it. A head is the same for every cluster (it sees pair features,
not cluster ids), so a cluster added to the catalogue works at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

#: A language gets its own head from this many training profiles on.
MIN_LANGUAGE_ROWS = 40
#: Folds of :func:`out_of_fold_head_scores`.
OOF_FOLDS = 5


def fit_head(X: np.ndarray, y: np.ndarray, *, C: float) -> Pipeline:
    """A scaled logistic regression on features ``X`` (n, k, f) for 0/1 acceptability ``y`` (n, k)."""
    head = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
    return head.fit(X.reshape(-1, X.shape[2]), y.reshape(-1))


def head_proba(head: Pipeline, X: np.ndarray) -> np.ndarray:
    """``head.predict_proba(X)[:, 1]`` for X (m, f), in plain numpy: the same numbers without
    scikit-learn's per-call input checks, which cost more than the arithmetic for one profile."""
    scaler, logistic = head[0], head[-1]
    z = ((X - scaler.mean_) / scaler.scale_) @ logistic.coef_[0] + logistic.intercept_[0]
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


@dataclass(slots=True)
class LanguageHeads:
    """A shared head and, optionally, one per language."""

    shared: Pipeline
    by_language: dict[str, Pipeline] = field(default_factory=dict)

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, langs: Sequence[str] | None, *, C: float) -> LanguageHeads:
        """Fit on features ``X`` (n, k, f) and labels ``y`` (n, k); ``langs`` (n,) adds a head per
        language with at least :data:`MIN_LANGUAGE_ROWS` profiles and both classes present."""
        heads = cls(fit_head(X, y, C=C))
        if langs is not None:
            codes = np.asarray(langs)
            for lang in np.unique(codes):
                rows = codes == lang
                if rows.sum() >= MIN_LANGUAGE_ROWS and 0 < y[rows].sum() < y[rows].size:
                    heads.by_language[str(lang)] = fit_head(X[rows], y[rows], C=C)
        return heads

    def predict(self, X: np.ndarray, langs: Sequence[str]) -> np.ndarray:
        """Scores (n, k) for features (n, k, f), each profile by its language's head."""
        n, k, f = X.shape
        out = np.empty((n, k))
        codes = np.asarray(langs)
        for lang in np.unique(codes):
            rows = codes == lang
            head = self.by_language.get(str(lang), self.shared)
            out[rows] = head_proba(head, X[rows].reshape(-1, f)).reshape(-1, k)
        return out


def out_of_fold_head_scores(
    X: np.ndarray, y: np.ndarray, langs: Sequence[str] | None, *, C: float, folds: int = OOF_FOLDS
) -> np.ndarray:
    """Scores (n, k) of each profile by heads fitted without it (``folds``-fold, fixed seed), as
    :meth:`LanguageHeads.fit` would fit them: the scores a new profile would get, to calibrate on."""
    codes = np.asarray(langs if langs is not None else ["any"] * len(X))
    out = np.empty(y.shape)
    for fit_rows, held in KFold(folds, shuffle=True, random_state=0).split(X):
        heads = LanguageHeads.fit(X[fit_rows], y[fit_rows], None if langs is None else codes[fit_rows], C=C)
        out[held] = heads.predict(X[held], codes[held])
    return out
