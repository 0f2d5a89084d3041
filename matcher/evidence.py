"""The fitted evidence index: everything a profile is compared with, per cluster.

Three pools of texts, each embedded by every encoder (and, optionally, as character n-grams):

- the catalogue's *prototypes* (descriptions, member sketches, groups of terms);
- the labelled *examples* (member sketches first, then the train split and the office's feedback);
- the profiles that fit *no cluster*, evidence against every cluster.

It also holds the catalogue's terms embedded by the first encoder, which explanations cite. The
index knows texts and arrays, not models: the caller hands it the embeddings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.activity_codes import ActivityCodes, describe
from matcher.catalogue import LANGS, Catalogue
from matcher.config import NO_FIT
from matcher.terms import generic_stems
from matcher.types import LabelledProfile

#: Embeds texts by every encoder: one (n_texts, dim) matrix per encoder.
EmbedAll = Callable[[list[str]], list[np.ndarray]]
#: Embeds texts by the first encoder only.
EmbedFirst = Callable[[list[str]], np.ndarray]
#: Per similarity source: the texts' similarities to the prototypes, the examples and the no-fit pool.
Similarities = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class Pool:
    """Texts of one kind with the cluster index of each and their embeddings."""

    texts: list[str]
    owner: np.ndarray  # (n_items,) cluster index of each item
    emb: list[np.ndarray]  # one (n_items, dim) matrix per encoder


@dataclass(frozen=True, slots=True)
class NgramPools:
    """Character 3-5-gram TF-IDF vectors of the three pools, fitted on their texts."""

    vectorizer: TfidfVectorizer
    prototypes: sparse.csr_matrix
    examples: sparse.csr_matrix
    nofit: sparse.csr_matrix
    stacked_t: sparse.csr_matrix  # the three pools side by side, transposed once: (n_features, n_items)


def member_sketches(catalogue: Catalogue) -> list[LabelledProfile]:
    """The catalogue's one-line member sketches as examples, so a cluster with no profile has some."""
    return [
        LabelledProfile(id=f"{c.id}:member{j}", text=t, labels=(c.id,))
        for c in catalogue
        for lang in ("en", "pl")
        for j, t in enumerate(c.typical_members.get(lang, ()))
    ]


class EvidenceIndex:
    """The pools a profile is compared with, for one catalogue and one set of examples.

    Build it with :meth:`build`; read it with :meth:`similarities` (the features' input) and the
    attributes below (what explanations cite).

    Attributes
    ----------
    classes : tuple of str
        The cluster ids, in catalogue order; a pool's ``owner`` indexes into them.
    prototypes, examples, nofit : Pool
    example_is_real : ndarray of bool, shape (n_examples,)
        False for the catalogue's member sketches, True for labelled profiles.
    terms : list of str
        The catalogue's terms (both languages); ``term_owner`` gives each one's cluster index,
        ``term_emb`` its embedding by the first encoder, shape (n_terms, dim), and ``term_langs``
        the languages whose term list holds it (``("en", "pl")`` for a term both share).
    generic_stems : set of str
        Word stems that occur in the terms of more than one cluster.
    unclear : Pool
        Texts that say nothing of what an organisation does (a mission statement, a prize, a
        dividend): what "can't tell" looks like.
    ngrams : NgramPools or None
    codes : ActivityCodes or None
        Which clusters the activity codes a profile cites (PKD, NACE) point at.
    """

    def __init__(
        self,
        classes: tuple[str, ...],
        prototypes: Pool,
        examples: Pool,
        nofit: Pool,
        example_is_real: np.ndarray,
        terms: list[str],
        term_owner: np.ndarray,
        term_emb: np.ndarray,
        generic_stems: set[str],
        ngrams: NgramPools | None,
        codes: ActivityCodes | None = None,
        unclear: Pool | None = None,
        term_langs: list[tuple[str, ...]] | None = None,
    ) -> None:
        self.classes = classes
        self.prototypes = prototypes
        self.examples = examples
        self.nofit = nofit
        self.example_is_real = example_is_real
        self.terms = terms
        self.term_owner = term_owner
        self.term_emb = term_emb
        self.generic_stems = generic_stems
        self.ngrams = ngrams
        self.codes = codes
        self.unclear = unclear if unclear is not None else Pool([], np.zeros(0, dtype=int), [])
        self.term_langs = term_langs if term_langs is not None else [LANGS] * len(terms)

    @classmethod
    def build(
        cls,
        catalogue: Catalogue,
        labelled: Sequence[LabelledProfile],
        *,
        embed: EmbedAll,
        embed_first: EmbedFirst,
        tfidf: bool = True,
        codes: ActivityCodes | None = None,
        unclear: Sequence[str] = (),
    ) -> EvidenceIndex:
        """Index ``catalogue`` with its member sketches and ``labelled`` (examples and feedback) as examples."""
        classes = catalogue.ids
        texts, owner, terms, term_owner, term_langs = [], [], [], [], []
        for i, cluster in enumerate(catalogue):
            for t in cluster.prototypes():
                texts.append(t)
                owner.append(i)
            for t in cluster.term_list():
                terms.append(t)
                term_owner.append(i)
                term_langs.append(tuple(lang for lang in LANGS if t in cluster.terms.get(lang, ())))
        prototypes = _pool(texts, owner, embed)
        term_emb = embed_first(terms)

        index = {cid: i for i, cid in enumerate(classes)}
        ex_texts, ex_owner, real = [], [], []
        for p in [*member_sketches(catalogue), *labelled]:
            for lab in p.labels:
                if lab in index:
                    ex_texts.append(p.text)
                    ex_owner.append(index[lab])
                    real.append(not p.id.startswith(f"{lab}:member"))
        examples = _pool(ex_texts, ex_owner, embed)
        none_texts = [p.text for p in labelled if p.labels == (NO_FIT,)]
        nofit = _pool(none_texts, [0] * len(none_texts), embed)
        ngrams = _ngram_pools(texts, ex_texts, none_texts) if tfidf else None
        return cls(
            classes,
            prototypes,
            examples,
            nofit,
            np.array(real, dtype=bool),
            terms,
            np.asarray(term_owner, dtype=int),
            term_emb,
            generic_stems(catalogue),
            ngrams,
            codes,
            _pool(list(unclear), [0] * len(unclear), embed) if unclear else None,
            term_langs,
        )

    @property
    def n_sources(self) -> int:
        """How many similarity sources :meth:`similarities` gives: the encoders, and the n-grams."""
        return len(self.prototypes.emb) + int(self.ngrams is not None)

    @property
    def n_examples(self) -> np.ndarray:
        """Examples per cluster, shape (n_clusters,)."""
        return np.bincount(self.examples.owner, minlength=len(self.classes))

    def ngram_vectors(self, texts: list[str], *, pooled: bool = False) -> sparse.csr_matrix | None:
        """The texts' n-gram vectors (``None`` without n-grams).

        With ``pooled``, texts that are all in the example or no-fit pools (the matcher's own
        training texts) are read from the pools rather than computed again.
        """
        if self.ngrams is None:
            return None
        if pooled:
            where = {t: i for i, t in enumerate(self.examples.texts + self.nofit.texts)}
            if all(t in where for t in texts):
                stacked = sparse.vstack([self.ngrams.examples, self.ngrams.nofit]).tocsr()
                return stacked[[where[t] for t in texts]]
        return self.ngrams.vectorizer.transform(texts)

    def similarities(self, embedded: list[np.ndarray], grams: sparse.csr_matrix | None = None) -> list[Similarities]:
        """Cosine similarities of the texts to each pool, one triple per source (encoders, then n-grams).

        ``embedded`` holds the texts' embeddings by every encoder, (n_texts, dim) each; ``grams``
        their n-gram vectors (required when the index has n-grams).
        """
        sims: list[Similarities] = [
            (q @ p.T, q @ e.T, q @ z.T)
            for q, p, e, z in zip(embedded, self.prototypes.emb, self.examples.emb, self.nofit.emb, strict=True)
        ]
        if self.ngrams is not None:
            if grams is None:
                raise ValueError("this index has n-grams: pass the texts' n-gram vectors")
            pools = (grams @ self.ngrams.stacked_t).toarray()
            a, b = len(self.prototypes.texts), len(self.prototypes.texts) + len(self.examples.texts)
            sims.append((pools[:, :a], pools[:, a:b], pools[:, b:]))
        return sims

    def unclear_margin(self, embedded: list[np.ndarray]) -> np.ndarray:
        """How much closer each text is to the texts that say nothing of a sector than to those that
        fit no cluster: the mean over encoders of the two nearest similarities' difference, (n_texts,).
        ``-inf`` when either pool is empty."""
        unclear, nofit = self._nearest(embedded, (self.unclear, self.nofit))
        return _gap(embedded, unclear, nofit)

    def silence_margin(self, embedded: list[np.ndarray], *, texts: Sequence[str] | None = None) -> np.ndarray:
        """How much closer each text is to the texts that say nothing of a sector than to anything
        else the matcher knows (labelled examples of every cluster, profiles that fit no cluster):
        positive when its nearest neighbour says nothing of what an organisation does. The mean over
        encoders of the two nearest similarities' difference, (n_texts,); ``-inf`` when a pool is
        empty. Given the ``texts`` themselves, a text is never its own neighbour (while fitting)."""
        return self.margins(embedded, texts=texts)[1]

    def margins(
        self, embedded: list[np.ndarray], *, texts: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`unclear_margin` and :meth:`silence_margin` at once, each pool compared once."""
        unclear, examples, nofit = self._nearest(embedded, (self.unclear, self.examples, self.nofit), texts=texts)
        known = None if examples is None or nofit is None else np.maximum(examples, nofit)
        return _gap(embedded, unclear, nofit), _gap(embedded, unclear, known)

    def _nearest(
        self, embedded: list[np.ndarray], pools: tuple[Pool, ...], *, texts: Sequence[str] | None = None
    ) -> list[np.ndarray | None]:
        """Per pool, each text's nearest similarity by each encoder, (n_encoders, n_texts); ``None``
        for an empty pool. Pooled copies of ``texts`` (when given) are left out."""
        out: list[np.ndarray | None] = []
        for pool in pools:
            if not pool.texts:
                out.append(None)
                continue
            mask = _same_text(texts, pool.texts) if texts is not None else None
            sims = [q @ e.T for q, e in zip(embedded, pool.emb, strict=True)]
            out.append(np.stack([(s if mask is None else np.where(mask, -np.inf, s)).max(axis=1) for s in sims]))
        return out

    def code_vectors(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """What the activity codes each text cites say: per cluster the strongest code's weight,
        (n_texts, n_clusters), and whether the text cites any code at all, (n_texts,) of 0/1.
        ``None`` when the index has no code table."""
        if self.codes is None:
            return None
        vectors = [self.codes.vector(t, self.classes) for t in texts]
        scores = np.array([v.scores for v in vectors], dtype=np.float64).reshape(len(texts), len(self.classes))
        return scores, np.array([float(v.cited) for v in vectors])

    def code_notes(self, text: str, lang: str) -> dict[str, tuple[str, ...]]:
        """Per cluster, the activity codes of ``text`` that point at it, described in ``lang``."""
        if self.codes is None:
            return {}
        found = self.codes.evidence(text, self.classes)
        return {
            cid: tuple(dict.fromkeys(describe(m, code, lang) for m, code, _ in hits)) for cid, hits in found.items()
        }

    def same_text(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Where each text *is* a pooled item, per pool: boolean masks (n_texts, n_items), so that a
        text never counts as evidence for itself while the matcher is fitted."""
        return (
            _same_text(texts, self.prototypes.texts),
            _same_text(texts, self.examples.texts),
            _same_text(texts, self.nofit.texts),
        )


def _gap(embedded: list[np.ndarray], near: np.ndarray | None, far: np.ndarray | None) -> np.ndarray:
    """The mean over encoders of ``near - far`` (each (n_encoders, n_texts)); ``-inf`` if either is missing."""
    if near is None or far is None:
        return np.full(len(embedded[0]), -np.inf)
    return np.asarray(np.mean(near - far, axis=0), dtype=np.float64)


def _same_text(texts: Sequence[str], items: Sequence[str]) -> np.ndarray:
    """(n_texts, n_items): where a text is that item."""
    rows: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        rows.setdefault(t, []).append(i)
    mask = np.zeros((len(texts), len(items)), dtype=bool)
    for j, item in enumerate(items):
        mask[rows.get(item, []), j] = True
    return mask


def _pool(texts: list[str], owner: list[int], embed: EmbedAll) -> Pool:
    return Pool(texts, np.asarray(owner, dtype=int), embed(texts))


def _ngram_pools(prototypes: list[str], examples: list[str], nofit: list[str]) -> NgramPools:
    """Fitted and applied in one pass over the texts: the n-grams are the start-up's costliest step."""
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=True)
    pools = vectorizer.fit_transform(prototypes + examples + nofit).tocsr()
    a, b = len(prototypes), len(prototypes) + len(examples)
    stacked_t = pools.T.tocsr()
    return NgramPools(vectorizer, pools[:a], pools[a:b], pools[b:], stacked_t)
