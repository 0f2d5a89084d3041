"""Why a profile matched a cluster: its passages weighted by how much they point at the cluster,
the words and phrases inside them that tie them to it, the catalogue terms they relate to and the
labelled examples they resemble; or, when no passage points at the cluster, what the score rests on.

Terms are shown in the profile's language, one of each group of inflected forms, and only when the
profile's words share a stem with them or a passage (or one of its words) closely resembles them.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from matcher.encoders import Encoder
from matcher.evidence import EvidenceIndex
from matcher.similarity import per_cluster
from matcher.terms import STOPWORDS, dedupe_terms, stems, term_key, word_stems, words
from matcher.text import Passage, detect_lang, split_passages
from matcher.threads import FEW_TEXTS
from matcher.types import Evidence, Explanation, Phrase

MAX_EVIDENCE = 3
MAX_TERMS = 4
#: Terms named for one phrase, at most.
MAX_PHRASE_TERMS = 2
#: How similar (first encoder, cosine) a passage must be to a term it shares no stem with for the
#: term to be named; it must also be nearer the passage than any other cluster's term. With USE, a
#: sentence and a term it is about score 0.35-0.55, unrelated ones 0.1-0.3, but a three-word passage
#: ("Przydomowe magazyny energii") scores 0.4 with terms of other sectors ("F-gazy") too.
TERM_MIN_SIM = 0.4
#: How similar one word must be to the nearest of a cluster's terms, and by how much more than to
#: any other cluster's, to tie it to the cluster when it shares no stem with them. USE gives single
#: words high similarities: "vessels" ~ "shipyard" 0.77 (0.15 above any other cluster's term), but
#: also "wolnym" ("free") ~ "wiadukty" ("viaducts") 0.71 (0.12) and "sklepach" ("shops") ~ "cold
#: stores" 0.68 (0.14).
WORD_MIN_SIM = 0.74
WORD_MIN_MARGIN = 0.12
#: Words embedded one by one for :data:`WORD_MIN_SIM`, at most, per call: 16 new words cost USE
#: about 20 ms (two calls of 8 words, some 9 ms each on one thread), about one profile's embedding;
#: the most recent 5,000 words are remembered.
MAX_WORDS_EMBEDDED = 16
#: How similar the whole profile must be to the nearest of a cluster's examples for an explanation
#: with no passage to say the profile resembles the cluster's members.
PROFILE_MIN_SIM = 0.5
#: Characters that may separate the words of one phrase besides spaces ("heat-pump", "R&D").
_JOINERS = frozenset("-/&")


def _is_one_passage(passages: list[Passage], text: str) -> bool:
    return len(passages) == 1 and passages[0].text == text.strip()


def passages_to_embed(text: str) -> list[Passage]:
    """The passages an explanation of ``text`` needs embedded: none when the text is one passage."""
    passages = split_passages(text)
    return [] if _is_one_passage(passages, text) else passages


def explain_clusters(
    index: EvidenceIndex,
    encoder: Encoder,
    text: str,
    cluster_ids: Sequence[str],
    *,
    whole: np.ndarray | None = None,
    parts: np.ndarray | None = None,
    lang: str = "en",
) -> dict[str, Explanation]:
    """Explanations for ``cluster_ids``, from the evidence ``index`` and its first ``encoder``.

    ``whole`` is the text's embedding by the first encoder and ``parts`` that of
    :func:`passages_to_embed` when the caller has them (the matcher embeds them with the text,
    in the same call); whatever is missing is embedded here. Terms, activity codes and what a
    score rests on are given in ``lang``, the profile's language.
    """
    explanations = _by_passages(index, encoder, text, cluster_ids, whole, parts, lang)
    notes = index.code_notes(text, lang)
    out = {}
    for cid, e in explanations.items():
        if cid in notes:
            basis = e.basis if e.evidence else "activity_codes"
            e = dataclasses.replace(e, activity_codes=notes[cid], basis=basis)
        out[cid] = e
    return out


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """One cluster's terms as an explanation reads them."""

    owned: np.ndarray  # (n_terms,) bool: the index's terms that are the cluster's
    strong: frozenset[str]  # stems of its terms (any language) that no other cluster's terms have
    weak: frozenset[str]  # stems of its terms that other clusters' terms have too
    shown: list[str]  # its terms in the profile's language, one of each group of inflected forms
    shown_stems: list[frozenset[str]]  # the stems of each shown term
    shown_words: list[list[frozenset[str]]]  # per shown term, the stems of each of its words (stop words left out)
    members: list[list[int]]  # per shown term, the index's terms it stands for (its group)


#: Per index, its clusters' vocabularies by (cluster, language): built once per fitted index.
_VOCABULARIES: weakref.WeakKeyDictionary[EvidenceIndex, dict[tuple[int, str], _Vocabulary]] = (
    weakref.WeakKeyDictionary()
)


def _vocabulary(index: EvidenceIndex, c: int, lang: str) -> _Vocabulary:
    known = _VOCABULARIES.setdefault(index, {})
    if (c, lang) not in known:
        known[(c, lang)] = _build_vocabulary(index, c, lang)
    return known[(c, lang)]


def _build_vocabulary(index: EvidenceIndex, c: int, lang: str) -> _Vocabulary:
    owned = np.flatnonzero(index.term_owner == c)
    all_stems = set().union(*(stems(index.terms[t]) for t in owned)) if owned.size else set()
    in_lang = [t for t in owned if lang in index.term_langs[t]] or list(owned)  # a language with no terms: all
    shown = dedupe_terms(index.terms[t] for t in in_lang)
    group = {term_key(s): i for i, s in enumerate(shown)}
    members: list[list[int]] = [[] for _ in shown]
    for t in in_lang:
        members[group[term_key(index.terms[t])]].append(int(t))
    return _Vocabulary(
        owned=index.term_owner == c,
        strong=frozenset(all_stems - index.generic_stems),
        weak=frozenset(all_stems & index.generic_stems),
        shown=shown,
        shown_stems=[frozenset(stems(t)) for t in shown],
        shown_words=[[frozenset(word_stems(w)) for w, _, _ in words(t) if word_stems(w)] for t in shown],
        members=members,
    )


def _by_passages(
    index: EvidenceIndex,
    encoder: Encoder,
    text: str,
    cluster_ids: Sequence[str],
    whole: np.ndarray | None,
    parts: np.ndarray | None,
    lang: str,
) -> dict[str, Explanation]:
    passages = split_passages(text)
    if not passages:
        return {cid: Explanation((), (), basis="weak", lang=lang) for cid in cluster_ids}
    single = _is_one_passage(passages, text)
    if whole is None:
        emb = encoder.encode([text] if single else [text] + [p.text for p in passages])
        whole = emb[0]
        parts = emb[:1] if single else emb[1:]
    elif single:
        parts = np.asarray(whole)[None, :]
    elif parts is None or len(parts) != len(passages):
        parts = encoder.encode([p.text for p in passages])
    whole = np.asarray(whole).reshape(-1)
    k = len(index.classes)
    protos, examples = index.prototypes, index.examples
    cat_max, _ = per_cluster(parts @ protos.emb[0].T, protos.owner, k)
    ex_max, _ = per_cluster(parts @ examples.emb[0].T, examples.owner, k)
    sims = np.fmax(np.nan_to_num(cat_max, nan=-1.0), np.nan_to_num(ex_max, nan=-1.0))  # (n_pass, k)
    contrast = sims - sims.mean(axis=1, keepdims=True)

    chosen: dict[str, list[tuple[int, float]]] = {}  # per cluster, its passages and their weights
    for cid in cluster_ids:
        rel = np.clip(contrast[:, index.classes.index(cid)], 0, None)
        if rel.sum() > 1e-6:
            weights = rel / rel.sum()
            best = [int(i) for i in np.argsort(-weights) if weights[i] >= 0.08][:MAX_EVIDENCE]
            chosen[cid] = [(i, float(weights[i])) for i in best]
    vocab = {cid: _vocabulary(index, index.classes.index(cid), lang) for cid in cluster_ids}
    ws = _words_to_embed(index, [passages[i] for ps in chosen.values() for i, _ in ps], vocab)
    word_emb = _embed_words(encoder, ws) if ws else np.zeros((0, parts.shape[1]), dtype=parts.dtype)
    to_terms = np.vstack([parts, word_emb]) @ index.term_emb.T  # one product: (n_pass + n_words, n_terms)
    term_sims, word_sims = to_terms[: len(parts)], dict(zip(ws, to_terms[len(parts) :], strict=True))

    out: dict[str, Explanation] = {}
    for cid in cluster_ids:
        c = index.classes.index(cid)
        if cid not in chosen:  # nothing in the profile points here more than elsewhere
            out[cid] = _without_passages(index, whole, c, lang)
            continue
        evidence = [_evidence(passages[i], w, term_sims[i], word_sims, vocab[cid]) for i, w in chosen[cid]]
        out[cid] = Explanation(
            evidence=tuple(evidence),
            matched_terms=_distinct_terms(t for ev in evidence for t in ev.terms),
            similar_examples=_nearest_examples(index, whole, c),
            lang=lang,
        )
    return out


def _evidence(
    p: Passage, weight: float, term_sims: np.ndarray, word_sims: dict[str, np.ndarray], vocab: _Vocabulary
) -> Evidence:
    """One passage with the cluster's terms it relates to and the phrases that tie it to the cluster.

    ``term_sims`` are the passage's similarities to every term of the index, (n_terms,), and
    ``word_sims`` those of the words that were embedded one by one.
    """
    tokens = list(words(p.text))
    # a word that no term shares a stem with may still be near one of the cluster's terms
    near: dict[int, int] = {}  # token -> the shown term it is nearest
    for j, (w, _, _) in enumerate(tokens):
        ws = word_sims.get(w.lower())
        if ws is not None and vocab.shown and not word_stems(w) & vocab.strong:
            own_best = float(ws[vocab.owned].max(initial=-1.0))
            other_best = float(ws[~vocab.owned].max(initial=-1.0))
            if own_best >= WORD_MIN_SIM and own_best >= other_best + WORD_MIN_MARGIN:
                near[j] = int(np.argmax([ws[ms].max() for ms in vocab.members]))
    # a term the passage shares no stem with is named only when nearer the passage than any other cluster's term
    group_sims = np.array([term_sims[ms].max() for ms in vocab.members])
    group_sims[group_sims < term_sims[~vocab.owned].max(initial=-1.0)] = -1.0
    said = {w.lower(): word_stems(w) for w, _, _ in tokens}
    chosen = _pick_terms(vocab, said, group_sims, set(near.values()), MAX_TERMS)
    first_tie = {  # where the passage first uses a word of each chosen term (or one near it)
        i: min(
            (j for j, (w, _, _) in enumerate(tokens) if word_stems(w) & vocab.shown_stems[i] or near.get(j) == i),
            default=len(tokens),
        )
        for i in chosen
    }
    chosen.sort(key=first_tie.__getitem__)  # in the order the passage says them
    phrases = []
    for run in _runs(p.text, tokens, vocab, near):
        start, end = tokens[run[0]][1], tokens[run[-1]][2]
        run_stems = set().union(*(word_stems(tokens[j][0]) for j in run))
        run_near = {near[j] for j in run if j in near}
        related = [i for i in chosen if vocab.shown_stems[i] & run_stems or i in run_near]
        if not related:  # tied by a term of another language, or one the passage had no room for
            run_said = {tokens[j][0].lower(): word_stems(tokens[j][0]) for j in run}
            related = _pick_terms(vocab, run_said, None, run_near, MAX_PHRASE_TERMS)
        terms = tuple(vocab.shown[i] for i in related[:MAX_PHRASE_TERMS])
        phrases.append(Phrase(p.text[start:end], p.start + start, p.start + end, terms))
    weight = math.floor(weight * 1000) / 1000  # rounded down: the weights never sum over 1
    return Evidence(p.text, p.start, p.end, weight, tuple(vocab.shown[i] for i in chosen), tuple(phrases))


def _distinct_terms(terms: Iterable[str]) -> tuple[str, ...]:
    """The terms without repeats and without those whose words another of them holds with more
    ("chłodnictwo" beside "chłodnictwo przemysłowe"), in order."""
    unique = list(dict.fromkeys(terms))
    own = [frozenset(stems(t)) for t in unique]
    return tuple(t for t, s in zip(unique, own, strict=True) if not (s and any(s < other for other in own)))


def _pick_terms(
    vocab: _Vocabulary, said: dict[str, set[str]], sims: np.ndarray | None, near: set[int], n: int
) -> list[int]:
    """Up to ``n`` of the cluster's shown terms (their indices) that relate to a text whose words
    (lowercased) have the stems ``said``.

    A term relates when it shares a stem with the text that is the cluster's own (not generic),
    when ``sims`` (the text's similarity to each shown term, -1 where another cluster's term is
    nearer) reaches :data:`TERM_MIN_SIM`, or when it is the nearest term of one of the text's words
    (``near``). Terms more of whose words the text uses come first; a term is left out when it
    would use no word of the text that the terms before it do not (so neither "chłodnictwo" nor
    "meble chłodnicze" after "chłodnictwo przemysłowe" for "instalacje chłodnicze dla przemysłu"),
    or when all its words are those of the terms before it.
    """
    said_stems = set().union(*said.values())
    ranked = []
    for i, own in enumerate(vocab.shown_stems):
        lexical = bool(own & said_stems & vocab.strong)
        sim = float(sims[i]) if sims is not None else 0.0
        if lexical or i in near or sim >= TERM_MIN_SIM:
            term_words = vocab.shown_words[i]
            hits = sum(1 for ws in term_words if ws & said_stems)
            coverage = hits / len(term_words) if term_words else 0.0
            uses = {w for w, ws in said.items() if ws & own}
            ranked.append(((lexical, coverage, hits, i in near, sim, -len(vocab.shown[i])), i, uses))
    ranked.sort(key=lambda r: r[0], reverse=True)
    out: list[int] = []
    used: set[str] = set()  # words of the text that the chosen terms use
    seen: set[str] = set()  # stems of the chosen terms
    for (lexical, *_), i, uses in ranked:
        if len(out) == n:
            break
        own = vocab.shown_stems[i]
        if (lexical and not uses - used) or (not lexical and own and own <= seen):
            continue
        out.append(i)
        used |= uses
        seen |= own
    return out


def _runs(text: str, tokens: list[tuple[str, int, int]], vocab: _Vocabulary, near: dict[int, int]) -> list[list[int]]:
    """Runs of adjacent tied words: each holds a word of the cluster's own (its stem is one of the
    cluster's terms' and no other cluster's, or it is near one of the cluster's terms) and may hold
    words whose stems the cluster's terms share with other clusters ("refrigeration systems")."""

    def tie(j: int) -> int:  # 2: the cluster's own; 1: shared with others; 0: none
        own = word_stems(tokens[j][0])
        if j in near or own & vocab.strong:
            return 2
        return 1 if own & vocab.weak else 0

    runs: list[list[int]] = []
    current: list[int] = []
    for j in range(len(tokens)):
        if tie(j) and current and _adjacent(text, tokens[current[-1]][2], tokens[j][1]):
            current.append(j)
            continue
        if current:
            runs.append(current)
        current = [j] if tie(j) else []
    if current:
        runs.append(current)
    return [run for run in runs if any(tie(j) == 2 for j in run)]


def _adjacent(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return len(gap) <= 3 and all(ch.isspace() or ch in _JOINERS for ch in gap)


# -- words embedded one by one ---------------------------------------------------------------------

_WORD_CACHE: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_WORD_CACHE_SIZE = 5_000  # 512 floats each: 10 MB
_WORD_CACHE_LOCK = threading.Lock()


def _words_to_embed(index: EvidenceIndex, passages: list[Passage], vocab: dict[str, _Vocabulary]) -> list[str]:
    """The words of the ``passages`` (lowercased) to compare with the terms one by one: those that
    share no stem with the terms of the clusters explained (nor a generic one) and are no function
    words; at most :data:`MAX_WORDS_EMBEDDED`, those of the first passages first."""
    lexical = set().union(*(v.strong | v.weak for v in vocab.values())) | index.generic_stems
    wanted: list[str] = []
    for p in passages:
        for w, _, _ in words(p.text):
            lw = w.lower()
            if len(lw) >= 4 and lw.isalpha() and lw not in STOPWORDS and not word_stems(lw) & lexical:
                wanted.append(lw)
    return list(dict.fromkeys(wanted))[:MAX_WORDS_EMBEDDED]


def _embed_words(encoder: Encoder, ws: list[str]) -> np.ndarray:
    """The words' embeddings by ``encoder``, (n_words, dim), from a cache of the recent ones."""
    name = encoder.name
    with _WORD_CACHE_LOCK:
        known = {w: _WORD_CACHE[(name, w)] for w in ws if (name, w) in _WORD_CACHE}
        for w in known:
            _WORD_CACHE.move_to_end((name, w))  # recently used
    missing = [w for w in ws if w not in known]
    if missing:
        # a few at a time: the encoders run a few texts on one thread, and a batch on every core,
        # which on two busy cores made 16 words cost 0.6 s instead of 2 x 9 ms
        fresh = np.concatenate(
            [np.asarray(encoder.encode(missing[i : i + FEW_TEXTS])) for i in range(0, len(missing), FEW_TEXTS)]
        )
        with _WORD_CACHE_LOCK:
            for w, v in zip(missing, fresh, strict=True):
                known[w] = _WORD_CACHE[(name, w)] = v
            while len(_WORD_CACHE) > _WORD_CACHE_SIZE:
                _WORD_CACHE.popitem(last=False)
    return np.stack([known[w] for w in ws])


# -- when no passage points at the cluster ---------------------------------------------------------


def _without_passages(index: EvidenceIndex, whole: np.ndarray, c: int, lang: str) -> Explanation:
    """What the score of cluster ``c`` rests on when no passage points at it more than at the others:
    the profile as a whole resembling one of its examples (member sketches included), or nothing much."""
    ex = index.examples
    idx = np.flatnonzero(ex.owner == c)
    similar = _nearest_examples(index, whole, c)
    if idx.size:
        sims = ex.emb[0][idx] @ whole
        order = np.argsort(-sims)[:5]
        if float(sims[order[0]]) >= PROFILE_MIN_SIM:
            close = [int(idx[j]) for j in order if float(sims[j]) >= float(sims[order[0]]) - 0.05]
            nearest = next((i for i in close if detect_lang(ex.texts[i]) == lang), close[0])
            lead = _clip(ex.texts[nearest])
            return Explanation((), (), (lead, *(s for s in similar if s != lead)), basis="profile", lang=lang)
    return Explanation((), (), similar, basis="weak", lang=lang)


def _nearest_examples(index: EvidenceIndex, query: np.ndarray, cluster: int, n: int = 2) -> tuple[str, ...]:
    """The labelled profiles (not the catalogue's member sketches) of ``cluster`` nearest the query."""
    ex = index.examples
    idx = np.flatnonzero((ex.owner == cluster) & index.example_is_real)
    if idx.size == 0:
        return ()
    sims = ex.emb[0][idx] @ query
    best = idx[np.argsort(-sims)[:n]]
    return tuple(_clip(ex.texts[i]) for i in best if float(ex.emb[0][i] @ query) >= 0.5)


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
