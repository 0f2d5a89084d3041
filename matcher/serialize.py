"""Plain-dict forms of results (for ``--json``, triage files and the HTTP service)."""

from __future__ import annotations

from typing import Any

from matcher.types import Explanation, MatchResult


def explanation_to_dict(e: Explanation) -> dict[str, Any]:
    return {
        "summary": e.summary(),
        "evidence": [
            {"text": ev.text, "start": ev.start, "end": ev.end, "weight": ev.weight, "terms": list(ev.terms)}
            for ev in e.evidence
        ],
        "matched_terms": list(e.matched_terms),
        "similar_examples": list(e.similar_examples),
    }


def result_to_dict(result: MatchResult, *, top_k: int | None = None) -> dict[str, Any]:
    ranking = result.ranking if top_k is None else result.ranking[:top_k]
    return {
        "decision": list(result.decision),
        "needs_review": result.needs_review,
        "review_reason": result.review_reason,
        "lang": result.lang,
        "matches": [
            {
                "cluster": m.cluster,
                "label": m.label,
                "score": m.score,
                "explanation": explanation_to_dict(m.explanation) if m.explanation else None,
            }
            for m in ranking
        ],
        "provenance": result.provenance,
    }
