"""The one mapping of results to plain JSON-ready dicts: ``--json``, triage lines and the HTTP API.

:func:`result_to_dict` follows the fields of :class:`~matcher.types.MatchResult`, so a new field
of the answer appears in every output without a change here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from matcher.catalogue import Catalogue
from matcher.types import Explanation, MatchResult

#: The fields of a cluster that a match names (its terms and member sketches are left to /clusters).
CLUSTER_SUMMARY = ("id", "name", "description", "former_names", "url")
#: Fields of a result that are not copied as they are: the ranking becomes ``matches``, and the
#: profile's text is the caller's own.
_NOT_COPIED = {"ranking", "text"}


def _plain(value: Any) -> Any:
    """Tuples to lists and mappings to dicts, all the way down."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def explanation_to_dict(e: Explanation) -> dict[str, Any]:
    return {"summary": e.summary(), **_plain(dataclasses.asdict(e))}


def result_to_dict(
    result: MatchResult, *, top_k: int | None = None, catalogue: Catalogue | None = None
) -> dict[str, Any]:
    """Every field of ``result``, with ``matches`` for the ranking (its ``top_k`` best).

    Each match names its cluster by id, or, given the ``catalogue``, by a summary of the cluster
    (:data:`CLUSTER_SUMMARY`), as the HTTP API does.
    """
    ranking = result.ranking if top_k is None else result.ranking[:top_k]
    out = {f.name: _plain(getattr(result, f.name)) for f in dataclasses.fields(result) if f.name not in _NOT_COPIED}
    out["matches"] = [
        {
            "cluster": _cluster(m.cluster, catalogue),
            "label": m.label,
            "score": m.score,
            "explanation": explanation_to_dict(m.explanation) if m.explanation else None,
        }
        for m in ranking
    ]
    return out


def _cluster(cluster_id: str, catalogue: Catalogue | None) -> Any:
    if catalogue is None:
        return cluster_id
    whole = catalogue.get(cluster_id).to_dict()
    return {key: whole[key] for key in CLUSTER_SUMMARY}


def triage_line(pid: str, result: MatchResult) -> dict[str, Any]:
    """The triage line other programs read (keep its fields): the id, the routing and every cluster's
    score; with the result's other fields after them, and without the explanations."""
    fields = result_to_dict(result)
    matches = fields.pop("matches")
    fields.pop("provenance")
    fields.pop("lang")
    return {
        "id": pid,
        **fields,
        "ranking": [{"cluster": m["cluster"], "score": m["score"]} for m in matches],
    }
