"""From one profile's calibrated scores to its :class:`~matcher.types.MatchResult`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.catalogue import Catalogue
from matcher.decision import DecisionRule
from matcher.text import count_words, foreign_language
from matcher.types import Explanation, Match, MatchResult


@dataclass(frozen=True, slots=True)
class Ranked:
    """One profile's clusters best first, with the decision its rule makes."""

    ids: list[str]  # best first
    scores: np.ndarray  # (n_clusters,) calibrated, best first
    decision: list[str]
    needs_review: bool
    reason: str | None
    unclear: bool = False

    def explain(self, top_k: int | None) -> list[str]:
        """The clusters to explain: the ``top_k`` best, or those of the decision (the best one at least)."""
        return self.ids[: top_k if top_k is not None else max(len(self.decision), 1)]

    def result(
        self,
        text: str,
        lang: str,
        catalogue: Catalogue,
        explanations: Mapping[str, Explanation],
        provenance: dict[str, Any],
    ) -> MatchResult:
        ranking = tuple(
            Match(
                cluster=cid,
                label=catalogue.get(cid).label(lang),
                score=round(float(score), 4),
                explanation=explanations.get(cid),
            )
            for cid, score in zip(self.ids, self.scores, strict=True)
        )
        return MatchResult(
            text=text,
            lang=lang,
            ranking=ranking,
            decision=tuple(self.decision),
            needs_review=self.needs_review,
            review_reason=self.reason,
            outcome="routed" if self.decision else ("unclear" if self.unclear else "no_fit"),
            provenance=provenance,
        )


def rank(probs: np.ndarray, rule: DecisionRule, classes: Sequence[str], text: str, *, unclear: bool = False) -> Ranked:
    """Order the clusters by their calibrated ``probs`` (n_clusters,) and let ``rule`` decide for ``text``
    (``unclear``: it resembles the texts that say nothing of a sector)."""
    order = np.argsort(-probs, kind="stable")
    ids = [classes[i] for i in order]
    foreign = foreign_language(text)
    decision, review, reason = rule.decide(probs[order], ids, words=count_words(text), foreign=foreign, unclear=unclear)
    return Ranked(ids, probs[order], decision, review, reason, unclear=unclear and not decision and not foreign)
