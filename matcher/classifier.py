"""A ridge classifier on the profile embeddings: the learned part of the matcher.

For each cluster (and for "fits no cluster") it gives a score learned from labelled examples.
The matcher feeds it to its head next to the zero-shot similarities, so a cluster with no
examples still works through the catalogue, and every example sharpens the classifier.
Ridge regression on the 0/1 label matrix is solved in closed form for all columns at once, so
refitting after each piece of feedback takes milliseconds.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold


class EmbeddingClassifier:
    """Multi-output ridge regression from embeddings to a 0/1 label matrix (one column a label)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, X: np.ndarray, Y: np.ndarray) -> EmbeddingClassifier:
        self.model_ = Ridge(alpha=self.alpha).fit(X, Y.astype(np.float64))
        return self

    def predict_scores(self, X: np.ndarray) -> np.ndarray:
        """Shape (n_samples, n_columns); about 1 for a label, about 0 otherwise."""
        # Ridge.predict without its input checks: one matrix product (this runs on every match).
        scores = np.asarray(X, dtype=np.float64) @ self.model_.coef_.T + self.model_.intercept_
        return np.asarray(scores).reshape(len(X), -1)


def out_of_fold_scores(
    X: np.ndarray, Y: np.ndarray, *, alpha: float = 1.0, folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Scores for each row from a classifier that never saw that row (k-fold)."""
    out = np.zeros(Y.shape, dtype=np.float64)
    n_folds = min(folds, len(X))
    if n_folds < 2:
        return out
    for train, held in KFold(n_folds, shuffle=True, random_state=seed).split(X):
        out[held] = EmbeddingClassifier(alpha).fit(X[train], Y[train]).predict_scores(X[held])
    return out
