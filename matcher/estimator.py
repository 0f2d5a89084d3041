"""The :class:`Matcher`: a scikit-learn-style estimator that ranks clusters for a profile."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from matcher import __version__
from matcher.cache import EmbeddingCache
from matcher.catalogue import Catalogue, load_catalogue
from matcher.classifier import EmbeddingClassifier, out_of_fold_scores
from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, NO_FIT, PROFILES_PATH
from matcher.decision import DecisionRule, tune_rule
from matcher.encoders import Encoder, load_encoder
from matcher.explain import explain_clusters, generic_stems, passages_to_embed
from matcher.profiles import by_split, distinct_profiles, load_profiles
from matcher.similarity import per_cluster, relative
from matcher.text import count_words, detect_lang, foreign_language, is_blank
from matcher.threads import FEW_TEXTS, encode_side_by_side
from matcher.types import LabelledProfile, Match, MatchResult

log = logging.getLogger(__name__)

#: A language gets its own head from this many training profiles on.
MIN_LANGUAGE_ROWS = 40
#: Pair features per similarity source (see :meth:`Matcher._features`): four reductions, each as
#: value, margin and z-score, then the no-fit pool's max and mean and two differences. The no-fit
#: pool's max is at offset ``_NONE_MAX`` of its block; the classifier's no-fit score is last.
_PER_SOURCE, _NONE_MAX = 16, 12
#: A profile with fewer words than this goes to review whatever its scores ("test", "hello"). None
#: of the 6,046 labelled profiles in data/ is that short, so no measured figure depends on it.
MIN_WORDS = 3


@dataclass(frozen=True, slots=True)
class _Pool:
    """Texts of one kind (catalogue prototypes or labelled examples) with their cluster index."""

    texts: list[str]
    owner: np.ndarray  # (n_items,) cluster index of each item
    emb: list[np.ndarray]  # one (n_items, dim) matrix per encoder


class Matcher:
    """Ranks the clusters of a catalogue for free-text company profiles, in English or Polish.

    Each profile is embedded by every encoder (and by character n-grams) and compared with two
    pools per cluster: the catalogue's own texts (descriptions, member sketches, terms) and the
    labelled examples (the train split and the office's feedback). A logistic head turns those
    similarities into the probability that an officer would accept the cluster; it is
    recalibrated on held-out profiles, and the threshold for a second cluster is tuned on them.

    Parameters
    ----------
    encoders : sequence of str or Encoder, default ("use-multilingual-v3", "all-MiniLM-L6-v2")
        Model names (the bundled ones, or any sentence-transformers name or path) or encoders.
    tfidf : bool, default True
        Also compare character n-grams (helps with Polish inflection and product names).
    max_labels : int, default 2
        At most this many clusters in a decision.
    cache_dir : path or None
        Where catalogue and example embeddings are cached; ``None`` caches nothing.
    C : float, default 0.03
        Inverse regularisation strength of the logistic head.
    classifier : bool, default True
        Also learn a ridge classifier on the embeddings of the labelled examples.
    classifier_alpha : float, default 0.3
        Its regularisation strength.
    per_language : bool, default True
        One head per detected language (English, Polish), so each weighs the encoders by how
        well they serve that language; a shared head covers languages with few examples.
    nofit_evidence : bool, default True
        Let the calibration weigh how closely a profile resembles those that fit no cluster
        (see :class:`~matcher.decision.DecisionRule`).

    Attributes
    ----------
    catalogue_ : Catalogue
    classes_ : tuple of str
        The cluster ids, in catalogue order.
    encoders_ : list of Encoder
    head_ : sklearn Pipeline
        Maps pair features to the probability that a cluster is acceptable.
    language_heads_ : dict of str to Pipeline
        The same, fitted on one language's profiles.
    rule_ : DecisionRule
        Calibration and thresholds (fitted on the calibration profiles).
    language_rules_ : dict of str to DecisionRule
        The same, tuned on one language's calibration profiles (``per_language_rules``).
    provenance_ : dict
        Models, catalogue version and hash, number of examples.

    Examples
    --------
    >>> m = Matcher.from_defaults()  # doctest: +SKIP
    >>> m.match("Projektujemy instalacje chłodnicze dla przemysłu spożywczego").decision  # doctest: +SKIP
    ('hvac',)
    """

    def __init__(
        self,
        encoders: Sequence[str | Encoder] = DEFAULT_ENCODERS,
        *,
        tfidf: bool = True,
        max_labels: int = 2,
        cache_dir: str | Path | None = CACHE_DIR,
        C: float = 0.03,
        classifier: bool = True,
        classifier_alpha: float = 0.3,
        per_language: bool = True,
        per_language_rules: bool = False,
        nofit_evidence: bool = True,
    ) -> None:
        self.encoders = encoders
        self.tfidf = tfidf
        self.max_labels = max_labels
        self.cache_dir = cache_dir
        self.C = C
        self.classifier = classifier
        self.classifier_alpha = classifier_alpha
        self.per_language = per_language
        self.per_language_rules = per_language_rules
        self.nofit_evidence = nofit_evidence

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def from_defaults(
        cls,
        *,
        catalogue: Catalogue | str | Path = CATALOGUE_PATH,
        profiles: str | Path | None = PROFILES_PATH,
        feedback: Iterable[LabelledProfile] = (),
        encoders: Sequence[str | Encoder] = DEFAULT_ENCODERS,
        cache_dir: str | Path | None = CACHE_DIR,
    ) -> Matcher:
        """A fitted matcher: bundled catalogue, train split as examples, dev for calibration, plus ``feedback``."""
        cat = catalogue if isinstance(catalogue, Catalogue) else load_catalogue(catalogue)
        # Not ``known=cat.ids``: after a cluster is deleted, its profiles are skipped by fit, not fatal.
        labelled = load_profiles(profiles) if profiles else []
        return cls(encoders, cache_dir=cache_dir).fit(
            cat, by_split(labelled, "train"), calibration=by_split(labelled, "dev"), feedback=feedback
        )

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "encoders",
                "tfidf",
                "max_labels",
                "cache_dir",
                "C",
                "classifier",
                "classifier_alpha",
                "per_language",
                "per_language_rules",
                "nofit_evidence",
            )
        }

    def set_params(self, **params: Any) -> Matcher:
        for key, value in params.items():
            if key not in self.get_params():
                raise ValueError(f"invalid parameter {key!r} for Matcher")
            setattr(self, key, value)
        return self

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the fitted state without the models (they are large and reloaded by name)."""
        state = dict(self.__dict__)
        state["encoders"] = [e if isinstance(e, str) else e.name for e in self.encoders]
        state.pop("encoders_", None)
        state.pop("_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if hasattr(self, "head_"):
            self.bind_encoders([load_encoder(name, cache_dir=self.cache_dir) for name in self.encoders])

    def bind_encoders(self, encoders: Sequence[Encoder]) -> Matcher:
        """Attach loaded models to an unpickled matcher (same names, same order). Returns ``self``."""
        names = [e if isinstance(e, str) else e.name for e in self.encoders]
        if [e.name for e in encoders] != names:
            raise ValueError(f"this matcher was fitted with {names}, not {[e.name for e in encoders]}")
        self.encoders_ = list(encoders)
        self._cache = EmbeddingCache.shared(self.cache_dir)
        return self

    def __repr__(self) -> str:
        names = [e if isinstance(e, str) else e.name for e in self.encoders]
        return f"Matcher(encoders={names!r}, tfidf={self.tfidf}, max_labels={self.max_labels})"

    # -- fitting --------------------------------------------------------------------------

    def fit(
        self,
        catalogue: Catalogue,
        examples: Iterable[LabelledProfile] = (),
        *,
        calibration: Sequence[LabelledProfile] = (),
        feedback: Iterable[LabelledProfile] = (),
    ) -> Matcher:
        """Embed the catalogue and examples, fit the head, then calibrate and tune on ``calibration``.

        ``feedback`` (the office's corrections) is learned from as ``examples`` are: it joins the
        examples each profile is compared with, the classifier and the head's training. (Measured
        on six independent sets, importing one half and routing the other, 12 runs: with no
        curated examples, routing +2.9 points on average where adding feedback only to the
        examples and the classifier gave -1.2; with the train split, +0.1 where that gave -0.1,
        and +0.35, never lower, with the fixed accept threshold of :data:`~matcher.decision.ACCEPT`.)
        The fit is deterministic and the feedback is taken as a set (sorted, a repeated text with
        the same labels counted once), so the same corrections give the same routing whatever
        their order, and withdrawing one restores the earlier routing exactly.
        A calibration profile that is also an example or feedback is left out of its own
        similarities (the classifier has still seen it).

        A label the catalogue lacks is dropped from an example, and an example left with no label
        is skipped (with a log line), so a deleted cluster never breaks fitting. Returns ``self``.
        """
        if self.max_labels < 1:
            raise ValueError(f"max_labels must be >= 1, got {self.max_labels}")
        self.catalogue_ = catalogue
        self.classes_ = catalogue.ids
        self.encoders_ = [load_encoder(e, cache_dir=self.cache_dir) if isinstance(e, str) else e for e in self.encoders]
        self._cache = EmbeddingCache.shared(self.cache_dir)
        self._index_catalogue(catalogue)

        curated = self._usable(examples)
        # as a set: k-fold splits and pool order would otherwise depend on the corrections' order
        self.feedback_ = distinct_profiles(self._usable(feedback))
        sketches = [
            LabelledProfile(id=f"{c.id}:member{j}", text=t, labels=(c.id,))
            for c in catalogue
            for lang in ("en", "pl")
            for j, t in enumerate(c.typical_members.get(lang, ()))
        ]
        # Member sketches are examples too, so a cluster with no labelled profile still has some.
        labelled = [*curated, *self.feedback_]
        self._set_examples(sketches, labelled, fit_tfidf=True)
        learned = self._fit_classifier([*sketches, *labelled], out_of_fold=True)
        self._fit_heads([*sketches, *labelled], learned)
        self._tune(calibration)
        self.examples_ = curated
        self.provenance_ = {
            "matcher_version": __version__,
            "encoders": [e.name for e in self.encoders_] + (["tfidf-char-3-5"] if self.tfidf else []),
            "catalogue_version": catalogue.version,
            "catalogue_sha256": catalogue.sha256,
            "n_examples": len(curated),
            "n_feedback": len(self.feedback_),
            "n_calibration": len(calibration),
        }
        return self

    def _usable(self, profiles: Iterable[LabelledProfile]) -> list[LabelledProfile]:
        """The profiles with only the labels the catalogue knows; one left with none is skipped."""
        known = set(self.classes_) | {NO_FIT}
        usable = []
        for p in profiles:
            labels = tuple(lab for lab in p.labels if lab in known)
            if labels == p.labels:
                usable.append(p)
            elif labels:
                log.info("example %s: labels not in the catalogue dropped (%s)", p.id, set(p.labels) - known)
                usable.append(dataclasses.replace(p, labels=labels))
            else:
                log.info("example %s skipped: no label is in the catalogue", p.id)
        return usable

    def _index_catalogue(self, catalogue: Catalogue) -> None:
        """Catalogue prototypes and terms, embedded (from the cache when seen before)."""
        texts, owner, term_texts, term_owner = [], [], [], []
        for i, cluster in enumerate(catalogue):
            for t in cluster.prototypes():
                texts.append(t)
                owner.append(i)
            for t in cluster.term_list():
                term_texts.append(t)
                term_owner.append(i)
        self._protos = self._pool(texts, owner)
        self.term_texts_ = term_texts
        self.term_owner_ = np.asarray(term_owner, dtype=int)
        self.term_emb_ = self._cache.encode(self.encoders_[0], term_texts)
        self.generic_stems_ = generic_stems(catalogue)

    def _set_examples(
        self, sketches: list[LabelledProfile], labelled: list[LabelledProfile], *, fit_tfidf: bool = False
    ) -> None:
        """The example pools: per-cluster examples (sketches first) and profiles that fit no cluster."""
        index = {cid: i for i, cid in enumerate(self.classes_)}
        ex_texts, ex_owner, real = [], [], []
        for p in [*sketches, *labelled]:
            for lab in p.labels:
                if lab in index:
                    ex_texts.append(p.text)
                    ex_owner.append(index[lab])
                    real.append(not p.id.startswith(f"{lab}:member"))
        self._examples = self._pool(ex_texts, ex_owner)
        self.example_is_real_ = np.array(real, dtype=bool)
        self.n_examples_ = np.bincount(np.asarray(ex_owner, dtype=int), minlength=len(self.classes_))
        # How much a profile resembles those that fit no cluster is evidence against every cluster.
        none_texts = [p.text for p in labelled if p.labels == (NO_FIT,)]
        self._nofit = self._pool(none_texts, [0] * len(none_texts))
        if not self.tfidf:
            return
        if fit_tfidf:  # fitted and applied in one pass over the texts: the n-grams are the start-up's costliest step
            self.tfidf_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)
            pools = self.tfidf_.fit_transform(self._protos.texts + ex_texts + none_texts).tocsr()
            a, b = len(self._protos.texts), len(self._protos.texts) + len(ex_texts)
            self._protos_tfidf, self._examples_tfidf, self._nofit_tfidf = pools[:a], pools[a:b], pools[b:]
        else:
            self._examples_tfidf = self.tfidf_.transform(ex_texts)
            empty = sparse.csr_matrix((0, len(self.tfidf_.vocabulary_)))
            self._nofit_tfidf = self.tfidf_.transform(none_texts) if none_texts else empty
        # The three pools side by side, transposed once here rather than on every query.
        self._pools_tfidf_t = sparse.vstack([self._protos_tfidf, self._examples_tfidf, self._nofit_tfidf]).T.tocsr()

    def _label_matrix(self, profiles: Sequence[LabelledProfile]) -> np.ndarray:
        return np.array([[lab in p.labels for lab in (*self.classes_, NO_FIT)] for p in profiles], dtype=int)

    def _fit_classifier(self, profiles: list[LabelledProfile], *, out_of_fold: bool) -> np.ndarray | None:
        """Fit the ridge classifier; with ``out_of_fold``, also return scores for the head's training."""
        if not self.classifier:
            return None
        joined = np.concatenate(self._embed_cached([p.text for p in profiles]), axis=1)
        Y = self._label_matrix(profiles)
        self.classifier_ = EmbeddingClassifier(self.classifier_alpha).fit(joined, Y)
        return out_of_fold_scores(joined, Y, alpha=self.classifier_alpha) if out_of_fold else None

    def _fit_heads(self, train: list[LabelledProfile], learned: np.ndarray | None) -> None:
        texts = [p.text for p in train]
        X = self._features(
            texts, leave_out=True, embedded=self._embed_cached(texts), learned=learned, grams=self._pooled_grams(texts)
        )
        y = self._label_matrix(train)[:, : len(self.classes_)]
        self.head_ = self._fit_head(X, y)
        self.language_heads_ = {}
        if self.per_language:
            langs = np.array([detect_lang(t) for t in texts])
            for lang in np.unique(langs):
                rows = langs == lang
                if rows.sum() >= MIN_LANGUAGE_ROWS and 0 < y[rows].sum() < y[rows].size:
                    self.language_heads_[str(lang)] = self._fit_head(X[rows], y[rows])

    def _pooled_grams(self, texts: list[str]) -> sparse.csr_matrix | None:
        """The n-gram vectors of texts that are in the example or no-fit pools (``None`` if one is not)."""
        if not self.tfidf:
            return None
        where = {t: i for i, t in enumerate(self._examples.texts + self._nofit.texts)}
        if any(t not in where for t in texts):
            return None
        pooled = sparse.vstack([self._examples_tfidf, self._nofit_tfidf]).tocsr()
        return pooled[[where[t] for t in texts]]

    def _tune(self, calibration: Sequence[LabelledProfile]) -> None:
        self.language_rules_: dict[str, DecisionRule] = {}
        cal = self._usable(calibration)
        if not cal:
            self.rule_ = DecisionRule(max_labels=self.max_labels)
            return
        texts = [p.text for p in cal]
        langs = np.array([detect_lang(t) for t in texts])
        raw, evidence = self._raw_scores(texts, self._embed_cached(texts), langs, leave_out=True)
        labels = [p.labels for p in cal]
        self.rule_ = tune_rule(raw, labels, self.classes_, max_labels=self.max_labels, evidence=evidence)
        if self.per_language_rules:
            for lang in np.unique(langs):
                rows = np.flatnonzero(langs == lang)
                if rows.size >= MIN_LANGUAGE_ROWS:
                    rule = tune_rule(
                        raw[rows],
                        [labels[i] for i in rows],
                        self.classes_,
                        max_labels=self.max_labels,
                        evidence=None if evidence is None else evidence[rows],
                    )
                    self.language_rules_[str(lang)] = rule

    def _rules(self, langs: Sequence[str]) -> list[DecisionRule]:
        """The decision rule for each text's language: its language's, else the shared one."""
        if not self.language_rules_:
            return [self.rule_] * len(langs)
        return [self.language_rules_.get(lang, self.rule_) for lang in langs]

    def _calibrate(
        self, langs: Sequence[str], raw: np.ndarray, evidence: np.ndarray | None
    ) -> tuple[np.ndarray, list[DecisionRule]]:
        rules = self._rules(langs)
        if all(r is self.rule_ for r in rules):
            return self.rule_.calibrate(raw, evidence), rules
        rows = [
            rule.calibrate(raw[i : i + 1], None if evidence is None else evidence[i : i + 1])
            for i, rule in enumerate(rules)
        ]
        return np.vstack(rows), rules

    def _fit_head(self, X: np.ndarray, y: np.ndarray) -> Pipeline:
        head = make_pipeline(StandardScaler(), LogisticRegression(C=self.C, max_iter=2000))
        return head.fit(X.reshape(-1, X.shape[2]), y.reshape(-1))

    def _pool(self, texts: list[str], owner: list[int]) -> _Pool:
        return _Pool(texts, np.asarray(owner, dtype=int), self._embed_cached(texts))

    # -- scoring --------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "head_"):
            raise NotFittedError("this Matcher is not fitted yet; call fit() or use Matcher.from_defaults()")

    def _embed_cached(self, texts: list[str]) -> list[np.ndarray]:
        return [self._cache.encode(e, texts) for e in self.encoders_]

    def _embed(self, texts: list[str], extra: Sequence[str] = ()) -> tuple[list[np.ndarray], np.ndarray]:
        """``texts`` by every encoder, plus ``extra`` (passages to explain) by the first, in its same call.

        A few texts run the models side by side, one thread each; a batch runs them one after the
        other, each on every core (see :data:`matcher.threads.FEW_TEXTS`).
        """
        jobs = [(self.encoders_[0], [*texts, *extra]), *((e, texts) for e in self.encoders_[1:])]
        if len(jobs) > 1 and len(texts) <= FEW_TEXTS:
            out = encode_side_by_side(jobs)
        else:
            out = [encoder.encode(batch) for encoder, batch in jobs]
        n = len(texts)
        return [out[0][:n], *out[1:]], out[0][n:]

    def _features(
        self,
        texts: list[str],
        *,
        leave_out: bool = False,
        embedded: list[np.ndarray] | None = None,
        learned: np.ndarray | None = None,
        grams: sparse.csr_matrix | None = None,
    ) -> np.ndarray:
        """Pair features, shape (n_texts, n_clusters, n_features).

        ``learned`` overrides the classifier's probabilities (out-of-fold ones while fitting);
        ``grams``, the texts' n-gram vectors when they are known already.
        """
        k = len(self.classes_)
        q_emb = embedded if embedded is not None else self._embed(texts)[0]
        sims: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
            (q @ p.T, q @ e.T, q @ z.T)
            for q, p, e, z in zip(q_emb, self._protos.emb, self._examples.emb, self._nofit.emb, strict=True)
        ]
        if self.tfidf:
            grams = grams if grams is not None else self.tfidf_.transform(texts)
            pools = (grams @ self._pools_tfidf_t).toarray()
            a, b = len(self._protos.texts), len(self._protos.texts) + len(self._examples.texts)
            sims.append((pools[:, :a], pools[:, a:b], pools[:, b:]))
        if leave_out:  # a text never counts as evidence for itself
            proto_same = np.array([[t == p for p in self._protos.texts] for t in texts], dtype=bool)
            ex_same = np.array([[t == p for p in self._examples.texts] for t in texts], dtype=bool)
            none_same = np.array([[t == p for p in self._nofit.texts] for t in texts], dtype=bool)
        blocks = []
        for s_cat, s_ex, s_none in sims:
            s_cat = s_cat.astype(np.float32)
            s_ex = s_ex.astype(np.float32)
            s_none = s_none.astype(np.float32).reshape(len(texts), -1)
            if leave_out:
                s_cat = np.where(proto_same, -np.inf, s_cat)
                s_ex = np.where(ex_same, -np.inf, s_ex)
                s_none = np.where(none_same.reshape(len(texts), -1), -np.inf, s_none)
            none_max, none_mean = per_cluster(s_none, np.zeros(s_none.shape[1], dtype=int), 1)
            none_max = np.nan_to_num(np.repeat(none_max, k, axis=1))
            none_mean = np.nan_to_num(np.repeat(none_mean, k, axis=1))
            cat_max, cat_mean = per_cluster(s_cat, self._protos.owner, k)
            ex_max, ex_mean = per_cluster(s_ex, self._examples.owner, k)
            ex_max = np.where(np.isnan(ex_max), cat_max, ex_max)
            ex_mean = np.where(np.isnan(ex_mean), cat_mean, ex_mean)
            cat_max, cat_mean = np.nan_to_num(cat_max), np.nan_to_num(cat_mean)
            for v in (cat_max, cat_mean, ex_max, ex_mean):
                margin, z = relative(v)
                blocks.extend([v, margin, z])
            blocks.extend([none_max, none_mean, ex_max - none_max, ex_mean - none_mean])
        if self.classifier:
            if learned is None:
                learned = self.classifier_.predict_scores(np.concatenate(q_emb, axis=1))
            p_cluster, p_none = learned[:, :k], np.repeat(learned[:, k:], k, axis=1)
            margin, z = relative(p_cluster)
            blocks.extend([p_cluster, margin, z, p_none])
        return np.stack(blocks, axis=2)  # (n, k, f)

    def _raw_scores(
        self,
        texts: list[str],
        embedded: list[np.ndarray] | None = None,
        langs: Sequence[str] | None = None,
        *,
        leave_out: bool = False,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The head's scores, each text by its language's head (``langs``: detected when not given),
        and the texts' no-fit evidence for the calibration (``None`` when it is not used)."""
        X = self._features(texts, embedded=embedded, leave_out=leave_out)
        n, k, f = X.shape
        evidence = self._nofit_evidence(X) if self.nofit_evidence else None
        out = np.empty((n, k))
        langs = np.array(langs if langs is not None else [detect_lang(t) for t in texts])
        for lang in np.unique(langs):
            rows = langs == lang
            head = self.language_heads_.get(str(lang), self.head_)
            out[rows] = _head_proba(head, X[rows].reshape(-1, f)).reshape(-1, k)
        return out, evidence

    def _nofit_evidence(self, X: np.ndarray) -> np.ndarray:
        """Per text: the similarity to the nearest no-fit profile by each source, and the
        classifier's no-fit score (the same for every cluster, so read from the first)."""
        n_sources = len(self.encoders_) + int(self.tfidf)
        cols = [s * _PER_SOURCE + _NONE_MAX for s in range(n_sources)] + ([X.shape[2] - 1] if self.classifier else [])
        return X[:, 0, cols].astype(np.float64)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability that each cluster is acceptable, shape (n_texts, n_clusters)."""
        self._check_fitted()
        texts = _check_texts(texts)
        langs = [detect_lang(t) for t in texts]
        return self._calibrate(langs, *self._raw_scores(texts, langs=langs))[0]

    # -- the public verbs -----------------------------------------------------------------

    def match(self, text: str, *, top_k: int | None = None, explain: bool = True) -> MatchResult:
        """Rank every cluster for one profile, decide, and (by default) explain the top ``top_k``.

        Example:
            >>> r = m.match("Budujemy drogi i mosty na Pomorzu")  # doctest: +SKIP
            >>> r.decision, r.ranking[0].score  # doctest: +SKIP
            (('construction',), 0.96)
        """
        return self.match_many([text], top_k=top_k, explain=explain)[0]

    def match_many(
        self, texts: Sequence[str], *, top_k: int | None = None, explain: bool = False, batch_size: int = 64
    ) -> list[MatchResult]:
        """:meth:`match` for many profiles at once, embedded in batches of ``batch_size``."""
        self._check_fitted()
        texts = _check_texts(texts)
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        out: list[MatchResult] = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            passages = [[p.text for p in passages_to_embed(t)] if explain else [] for t in chunk]
            embedded, parts = self._embed(chunk, [p for ps in passages for p in ps])
            ends = np.cumsum([len(ps) for ps in passages])
            langs = [detect_lang(t) for t in chunk]  # once per text: the head, the rule and the result use it
            probs, rules = self._calibrate(langs, *self._raw_scores(chunk, embedded, langs))
            for i, text in enumerate(chunk):
                whole, own = embedded[0][i], parts[ends[i] - len(passages[i]) : ends[i]]
                out.append(
                    self._result(
                        text, langs[i], probs[i], rules[i], top_k=top_k, explain=explain, whole=whole, parts=own
                    )
                )
        return out

    def _result(
        self,
        text: str,
        lang: str,
        probs: np.ndarray,
        rule: DecisionRule,
        *,
        top_k: int | None,
        explain: bool,
        whole: np.ndarray | None = None,
        parts: np.ndarray | None = None,
    ) -> MatchResult:
        order = np.argsort(-probs, kind="stable")
        decision, review, reason = rule.decide(probs[order], [self.classes_[i] for i in order])
        words = count_words(text)
        if foreign := foreign_language(text):  # ranked all the same, but by a guess: the reason to give
            review, reason = True, f"written in neither English nor Polish (it reads as {foreign})"
        elif words < MIN_WORDS and not review:  # "test", "hello": the scores rest on too little to trust
            review, reason = True, f"too short to judge ({words} {'word' if words == 1 else 'words'})"
        n_explained = top_k if top_k is not None else max(len(decision), 1)
        explanations = {}
        if explain:
            wanted = [self.classes_[i] for i in order[:n_explained]]
            explanations = explain_clusters(self, text, wanted, whole=whole, parts=parts)
        ranking = tuple(
            Match(
                cluster=self.classes_[i],
                label=self.catalogue_.get(self.classes_[i]).label(lang),
                score=round(float(probs[i]), 4),
                explanation=explanations.get(self.classes_[i]),
            )
            for i in order
        )
        return MatchResult(
            text=text,
            lang=lang,
            ranking=ranking,
            decision=tuple(decision),
            needs_review=review,
            review_reason=reason,
            provenance=self.provenance_,
        )


def _head_proba(head: Pipeline, X: np.ndarray) -> np.ndarray:
    """``head.predict_proba(X)[:, 1]`` in plain numpy: the same numbers without scikit-learn's
    per-call input checks, which cost more than the arithmetic for one profile."""
    scaler, logistic = head[0], head[-1]
    z = ((X - scaler.mean_) / scaler.scale_) @ logistic.coef_[0] + logistic.intercept_[0]
    return 1.0 / (1.0 + np.exp(-z))


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string; use match() for one")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a string, not {type(t).__name__}")
        if is_blank(t):
            raise ValueError(f"texts[{i}] is empty: a profile needs some text")
    return out
