"""Why a profile matched a cluster: its passages weighted by how much they point at the cluster,
with the catalogue terms and the labelled examples they resemble."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from matcher.encoders import Encoder
from matcher.evidence import EvidenceIndex
from matcher.similarity import per_cluster
from matcher.terms import stems
from matcher.text import Passage, split_passages
from matcher.types import Evidence, Explanation

MAX_EVIDENCE = 3
MAX_TERMS = 4
TERM_MIN_SIM = 0.35


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
    in the same call); whatever is missing is embedded here. Activity codes the text cites are
    named in ``lang``.
    """
    explanations = _by_passages(index, encoder, text, cluster_ids, whole, parts)
    notes = index.code_notes(text, lang)
    return {
        cid: dataclasses.replace(e, activity_codes=notes[cid]) if cid in notes else e for cid, e in explanations.items()
    }


def _by_passages(
    index: EvidenceIndex,
    encoder: Encoder,
    text: str,
    cluster_ids: Sequence[str],
    whole: np.ndarray | None,
    parts: np.ndarray | None,
) -> dict[str, Explanation]:
    passages = split_passages(text)
    if not passages:
        return {cid: Explanation((), ()) for cid in cluster_ids}
    single = _is_one_passage(passages, text)
    if whole is None:
        emb = encoder.encode([text] if single else [text] + [p.text for p in passages])
        whole = emb[0]
        parts = emb[:1] if single else emb[1:]
    elif single:
        parts = np.asarray(whole)[None, :]
    elif parts is None or len(parts) != len(passages):
        parts = encoder.encode([p.text for p in passages])
    whole = np.asarray(whole).reshape(1, -1)
    k = len(index.classes)
    protos, examples = index.prototypes, index.examples
    cat_max, _ = per_cluster(parts @ protos.emb[0].T, protos.owner, k)
    ex_max, _ = per_cluster(parts @ examples.emb[0].T, examples.owner, k)
    sims = np.fmax(np.nan_to_num(cat_max, nan=-1.0), np.nan_to_num(ex_max, nan=-1.0))  # (n_pass, k)
    contrast = sims - sims.mean(axis=1, keepdims=True)
    term_sims = parts @ index.term_emb.T  # (n_pass, n_terms)
    out: dict[str, Explanation] = {}
    for cid in cluster_ids:
        c = index.classes.index(cid)
        rel = np.clip(contrast[:, c], 0, None)
        if rel.sum() <= 1e-6:  # nothing in the profile points here more than elsewhere
            out[cid] = Explanation((), ())
            continue
        weights = rel / rel.sum()
        terms_of_c = np.flatnonzero(index.term_owner == c)
        chosen = [i for i in np.argsort(-weights) if weights[i] >= 0.08][:MAX_EVIDENCE]
        evidence = []
        all_terms: list[str] = []
        for i in chosen:
            p = passages[i]
            own = stems(p.text) - index.generic_stems
            lexical = [t for t in terms_of_c if stems(index.terms[t]) & own]
            ranked = terms_of_c[np.argsort(-term_sims[i, terms_of_c])]
            semantic = [t for t in ranked[:MAX_TERMS] if term_sims[i, t] >= TERM_MIN_SIM]
            terms = list(dict.fromkeys(index.terms[t] for t in [*lexical, *semantic]))[:MAX_TERMS]
            all_terms.extend(terms)
            weight = math.floor(float(weights[i]) * 1000) / 1000  # rounded down: the weights never sum over 1
            evidence.append(Evidence(p.text, p.start, p.end, weight, tuple(terms)))
        out[cid] = Explanation(
            evidence=tuple(evidence),
            matched_terms=tuple(dict.fromkeys(all_terms)),
            similar_examples=_nearest_examples(index, whole[0], c),
        )
    return out


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
