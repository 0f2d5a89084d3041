"""The :class:`Matcher`: a scikit-learn-style estimator that ranks clusters for a profile."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from matcher._version import __version__
from matcher.activity_codes import load_activity_codes
from matcher.cache import EmbeddingCache
from matcher.catalogue import Catalogue, load_catalogue
from matcher.classifier import EmbeddingClassifier, out_of_fold_scores
from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, NO_FIT, PROFILES_PATH, UNCLEAR_PATH
from matcher.decision import (
    ACCEPT,
    CLOSE_MARGIN,
    MIN_WORDS,
    REVIEW_BELOW,
    SILENCE_MARGIN,
    UNCLEAR_MARGIN,
    DecisionRule,
    calibrate_by_language,
    cap_silent,
    silence_cap,
    tune_rules,
)
from matcher.encoders import Encoder, load_encoder
from matcher.evidence import EvidenceIndex, member_sketches
from matcher.explain import explain_clusters, passages_to_embed
from matcher.features import nofit_evidence, pair_features
from matcher.heads import OOF_FOLDS, LanguageHeads, out_of_fold_head_scores
from matcher.profiles import by_split, distinct_profiles, label_matrix, load_profiles, read_texts, usable_profiles
from matcher.results import rank
from matcher.text import check_texts, detect_lang
from matcher.threads import encode_all
from matcher.types import LabelledProfile, MatchResult

log = logging.getLogger(__name__)


class Matcher(BaseEstimator):  # type: ignore[misc]  # get_params / set_params from __init__'s signature
    """Ranks the clusters of a catalogue for free-text company profiles, in English or Polish.

    Each profile is embedded by every encoder (and by character n-grams) and compared with two
    pools per cluster: the catalogue's own texts (descriptions, member sketches, terms) and the
    labelled examples (the train split and the office's feedback). A logistic head turns those
    similarities into the probability that an officer would accept the cluster; it is
    recalibrated on scores of profiles it did not see (the dev split, and the examples out of fold).

    Parameters
    ----------
    encoders : sequence of str or Encoder, default ("use-multilingual-v3", "multilingual-e5-small")
        Model names (the bundled ones, or any sentence-transformers name or path) or encoders.
    tfidf : bool, default True
        Also compare character n-grams (helps with Polish inflection and product names).
    max_labels : int, default 3
        At most this many clusters in a decision.
    cache_dir : path or None
        Where catalogue and example embeddings are cached; ``None`` caches nothing.
    C : float, default 0.03
        Inverse regularisation strength of the logistic head.
    classifier, classifier_alpha : bool, default True; float, default 0.3
        Also learn a ridge classifier on the embeddings of the labelled examples; its regularisation.
    per_language : bool, default True
        One head per detected language (English, Polish), so each weighs the encoders by how
        well they serve that language; a shared head covers languages with few examples.
    nofit_evidence : bool, default True
        Let the calibration weigh how closely a profile resembles those that fit no cluster
        (see :class:`~matcher.decision.DecisionRule`).
    activity_codes : bool, default True
        Read the activity codes a profile cites (PKD 2007/2025, NACE) as evidence for the clusters
        they belong to (``data/activity-codes/``), and name them in the explanation.
    unclear_margin : float, default -0.03
        When no cluster fits, call the text unclear ("can't tell") rather than out of scope when it is
        this much closer to the texts that say nothing of a sector (``fit(unclear=...)``) than to
        the profiles that fit no cluster.
    silence_margin : float or None, default 0.0
        A text this much closer to the texts that say nothing of a sector than to every example and
        no-fit profile is unclear whatever its scores, which are scaled down so that none exceeds the
        share of such calibration texts that were members (``silence_cap_``); ``None`` turns this off.
    calibrate_all : bool, default True
        Calibrate every cluster's score, not the best one's alone, on the calibration profiles and
        the examples' out-of-fold scores, and route to a second cluster when its score reaches
        ``accept`` (otherwise: the best only, on the calibration profiles, and a second cluster at a
        threshold tuned for the decisions' F1).
    accept : float, default 0.5
        Route to the best cluster when its calibrated score reaches this; else no cluster fits.
    review_below : float, default 0.8
        A routed profile whose best score is under this goes to review.
    close_margin : float, default 0.1
        So does one where a cluster left out of the decision scores within this of the best.
    min_words : int, default 3
        So does a profile of fewer words, whatever its scores.

    Attributes
    ----------
    catalogue_ : Catalogue
    classes_ : tuple of str (the cluster ids, in catalogue order)
    encoders_ : list of Encoder
    index_ : EvidenceIndex
        The catalogue, the examples and the no-fit profiles, embedded: what a profile is compared with.
    heads_ : LanguageHeads
        Map pair features to the probability that a cluster is acceptable (shared, and per language).
    rule_ : DecisionRule
        Calibration and thresholds (fitted on the calibration profiles).
    language_rules_ : dict of str to DecisionRule
        The same, tuned on one language's calibration profiles (``per_language_rules``).
    silence_cap_ : float or None
        The highest score of a text that says nothing of a sector (``silence_margin``).
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
        max_labels: int = 3,
        cache_dir: str | Path | None = CACHE_DIR,
        C: float = 0.03,
        classifier: bool = True,
        classifier_alpha: float = 0.3,
        per_language: bool = True,
        per_language_rules: bool = False,
        nofit_evidence: bool = True,
        activity_codes: bool = True,
        unclear_margin: float = UNCLEAR_MARGIN,
        silence_margin: float | None = SILENCE_MARGIN,
        calibrate_all: bool = True,
        accept: float = ACCEPT,
        review_below: float = REVIEW_BELOW,
        close_margin: float = CLOSE_MARGIN,
        min_words: int = MIN_WORDS,
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
        self.activity_codes = activity_codes
        self.unclear_margin = unclear_margin
        self.silence_margin = silence_margin
        self.calibrate_all = calibrate_all
        self.accept = accept
        self.review_below = review_below
        self.close_margin = close_margin
        self.min_words = min_words

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
        unclear = read_texts(UNCLEAR_PATH, split="train") if UNCLEAR_PATH.exists() else []
        return cls(encoders, cache_dir=cache_dir).fit(
            cat, by_split(labelled, "train"), calibration=by_split(labelled, "dev"), feedback=feedback, unclear=unclear
        )

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the fitted state without the models (they are large and reloaded by name)."""
        state = dict(self.__dict__)
        state["encoders"] = [e if isinstance(e, str) else e.name for e in self.encoders]
        state.pop("encoders_", None)
        state.pop("_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if hasattr(self, "heads_"):
            self.bind_encoders([load_encoder(str(name), cache_dir=self.cache_dir) for name in self.encoders])

    def bind_encoders(self, encoders: Sequence[Encoder]) -> Matcher:
        """Attach loaded models to an unpickled matcher (same names, same order). Returns ``self``."""
        names = [e if isinstance(e, str) else e.name for e in self.encoders]
        if [e.name for e in encoders] != names:
            raise ValueError(f"this matcher was fitted with {names}, not {[e.name for e in encoders]}")
        self.encoders_ = list(encoders)
        self._cache = EmbeddingCache.shared(self.cache_dir)
        return self

    def __repr__(self) -> str:
        return f"Matcher(encoders={[getattr(e, 'name', e) for e in self.encoders]!r}, tfidf={self.tfidf})"

    def fit(
        self,
        catalogue: Catalogue,
        examples: Iterable[LabelledProfile] = (),
        *,
        calibration: Sequence[LabelledProfile] = (),
        feedback: Iterable[LabelledProfile] = (),
        unclear: Sequence[str] = (),
    ) -> Matcher:
        """Embed the catalogue and examples, fit the head, then calibrate and tune on ``calibration``.

        ``feedback`` (the office's corrections) is learned from as ``examples`` are, taken as a set:
        the same corrections in any order give the same routing. ``unclear`` are texts that say
        nothing of what an organisation does (see ``unclear_margin``). A calibration profile that is
        also an example is left out of its own similarities; a label the catalogue lacks is dropped
        (:func:`~matcher.profiles.usable_profiles`). Returns ``self``.
        """
        if self.max_labels < 1:
            raise ValueError(f"max_labels must be >= 1, got {self.max_labels}")
        self.catalogue_ = catalogue
        self.classes_ = catalogue.ids
        self.encoders_ = [load_encoder(e, cache_dir=self.cache_dir) if isinstance(e, str) else e for e in self.encoders]
        self._cache = EmbeddingCache.shared(self.cache_dir)
        curated = usable_profiles(examples, self.classes_)
        # as a set: k-fold splits and pool order would otherwise depend on the corrections' order
        self.feedback_ = distinct_profiles(usable_profiles(feedback, self.classes_))
        labelled = [*curated, *self.feedback_]
        self.index_ = EvidenceIndex.build(
            catalogue,
            labelled,
            embed=self._embed_cached,
            embed_first=lambda texts: self._cache.encode(self.encoders_[0], texts),
            tfidf=self.tfidf,
            codes=load_activity_codes() if self.activity_codes else None,
            unclear=unclear,
        )
        # Member sketches are examples too, so a cluster with no labelled profile still has some.
        train = [*member_sketches(catalogue), *labelled]
        texts = [p.text for p in train]
        embedded = self._embed_cached(texts)
        y_all = label_matrix(train, self.classes_)
        learned = self._fit_classifier(embedded, y_all)
        X = self._features(texts, embedded, leave_out=True, learned=learned, pooled=True)
        langs = [detect_lang(t) for t in texts]
        self.heads_ = LanguageHeads.fit(
            X, y_all[:, : len(self.classes_)], langs if self.per_language else None, C=self.C
        )
        self._tune(calibration, labelled, (X, y_all[:, : len(self.classes_)], langs))
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

    def _fit_classifier(self, embedded: list[np.ndarray], Y: np.ndarray) -> np.ndarray | None:
        """Fit the ridge classifier; return out-of-fold scores for the head's training."""
        if not self.classifier:
            return None
        joined = np.concatenate(embedded, axis=1)
        self.classifier_ = EmbeddingClassifier(self.classifier_alpha).fit(joined, Y)
        return out_of_fold_scores(joined, Y, alpha=self.classifier_alpha)

    def _tune(
        self, calibration: Sequence[LabelledProfile], labelled: Sequence[LabelledProfile], head_fit: tuple[Any, ...]
    ) -> None:
        """Calibrate and tune on ``calibration``, joined with ``calibrate_all`` by the ``labelled``
        examples' out-of-fold scores (``head_fit``: the head's training X, y, langs; ``labelled`` last)."""
        self.language_rules_: dict[str, DecisionRule] = {}
        names = ("accept", "review_below", "close_margin", "min_words", "max_labels")
        fixed = DecisionRule(second=self.accept, **{name: getattr(self, name) for name in names})
        cal = usable_profiles(calibration, self.classes_)
        self.rule_ = fixed
        self._fit_silence([*labelled, *cal])
        if cal:
            texts = [p.text for p in cal]
            langs = [detect_lang(t) for t in texts]
            raw, evidence = self._raw_scores(texts, self._embed_cached(texts), langs, leave_out=True)
            labels = [p.labels for p in cal]
            if self.calibrate_all and len(labelled) >= OOF_FOLDS:
                X, y, fit_langs = head_fit  # the examples are the last n rows
                n = len(labelled)
                oof = out_of_fold_head_scores(X, y, fit_langs if self.per_language else None, C=self.C)
                raw = np.vstack([oof[-n:], raw])
                if evidence is not None:
                    evidence = np.vstack([self._nofit_evidence(X[-n:]), evidence])
                labels = [p.labels for p in labelled] + labels
                langs = [*fit_langs[-n:], *langs]
            self.rule_, self.language_rules_ = tune_rules(
                raw,
                labels,
                self.classes_,
                evidence=evidence,
                langs=langs if self.per_language_rules else None,
                like=fixed,
                accept=self.accept,
                all_pairs=self.calibrate_all,
            )

    def _fit_silence(self, profiles: Sequence[LabelledProfile]) -> None:
        """``silence_cap_`` from the labelled ``profiles`` and the texts that say nothing of a sector
        (each its own neighbour never)."""
        self.silence_cap_: float | None = None
        if self.silence_margin is None or not self.index_.unclear.texts:
            return
        texts = [*(p.text for p in profiles), *self.index_.unclear.texts]
        labels = [*(p.labels for p in profiles), *[(NO_FIT,)] * len(self.index_.unclear.texts)]
        silent = self.index_.silence_margin(self._embed_cached(texts), texts=texts) > self.silence_margin
        self.silence_cap_ = silence_cap(silent, labels)

    def _check_fitted(self) -> None:
        if not hasattr(self, "heads_"):
            raise NotFittedError("this Matcher is not fitted yet; call fit() or use Matcher.from_defaults()")

    def _embed_cached(self, texts: list[str]) -> list[np.ndarray]:
        return [self._cache.encode(e, texts) for e in self.encoders_]

    def _features(
        self,
        texts: list[str],
        embedded: list[np.ndarray],
        *,
        leave_out: bool = False,
        learned: np.ndarray | None = None,
        pooled: bool = False,
    ) -> np.ndarray:
        """Pair features of the texts, shape (n_texts, n_clusters, n_features) (see :mod:`matcher.features`).

        ``learned`` overrides the classifier's scores (out-of-fold ones while fitting); ``pooled``
        reads the n-grams of the matcher's own training texts from the index.
        """
        if self.classifier and learned is None:
            learned = self.classifier_.predict_scores(np.concatenate(embedded, axis=1))
        index = self.index_
        sims = index.similarities(embedded, index.ngram_vectors(texts, pooled=pooled))
        return pair_features(
            sims,
            index.prototypes.owner,
            index.examples.owner,
            len(self.classes_),
            masks=index.same_text(texts) if leave_out else None,
            codes=index.code_vectors(texts),
            learned=learned if self.classifier else None,
        )

    def _raw_scores(
        self, texts: list[str], embedded: list[np.ndarray], langs: Sequence[str], *, leave_out: bool = False
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The head's scores (n, k), each text by its language's head, and the texts' no-fit
        evidence for the calibration (``None`` when it is not used)."""
        X = self._features(texts, embedded, leave_out=leave_out)
        return self.heads_.predict(X, langs), self._nofit_evidence(X) if self.nofit_evidence else None

    def _nofit_evidence(self, X: np.ndarray) -> np.ndarray:
        return nofit_evidence(X, self.index_.n_sources, learned=self.classifier)

    def _calibrated(
        self, texts: list[str], embedded: list[np.ndarray], langs: Sequence[str]
    ) -> tuple[np.ndarray, list[DecisionRule], np.ndarray]:
        """Calibrated scores (n, k), each text's decision rule, and which texts are unclear (their
        scores capped when they say nothing of a sector: see ``silence_margin``)."""
        raw, evidence = self._raw_scores(texts, embedded, langs)
        probs, rules = calibrate_by_language(self.rule_, self.language_rules_, langs, raw, evidence)
        unclear_margin, silence_margin = self.index_.margins(embedded)
        unclear = unclear_margin > self.unclear_margin
        if self.silence_cap_ is not None and self.silence_margin is not None:
            silent = silence_margin > self.silence_margin
            probs = cap_silent(probs, silent, self.silence_cap_)
            unclear |= silent
        return probs, rules, unclear

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability that each cluster is acceptable, shape (n_texts, n_clusters)."""
        self._check_fitted()
        texts = check_texts(texts)
        langs = [detect_lang(t) for t in texts]
        return self._calibrated(texts, encode_all(self.encoders_, texts)[0], langs)[0]

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
        texts = check_texts(texts)
        if top_k is not None and top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {top_k}")
        out: list[MatchResult] = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            passages = [[p.text for p in passages_to_embed(t)] if explain else [] for t in chunk]
            embedded, parts = encode_all(self.encoders_, chunk, [p for ps in passages for p in ps])
            ends = np.cumsum([len(ps) for ps in passages])
            langs = [detect_lang(t) for t in chunk]  # once per text: the head, the rule and the result use it
            probs, rules, unclear = self._calibrated(chunk, embedded, langs)
            for i, text in enumerate(chunk):
                whole, own = embedded[0][i], parts[ends[i] - len(passages[i]) : ends[i]]
                ranked = rank(probs[i], rules[i], self.classes_, text, unclear=bool(unclear[i]))
                explanations = {}
                if explain:
                    wanted = ranked.explain(top_k)
                    explanations = explain_clusters(
                        self.index_, self.encoders_[0], text, wanted, whole=whole, parts=own, lang=langs[i]
                    )
                out.append(ranked.result(text, langs[i], self.catalogue_, explanations, self.provenance_))
        return out
