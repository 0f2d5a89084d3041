"""The frozen value objects the library returns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Evidence:
    """A passage of the profile that drove a match.

    ``start``/``end`` are character offsets into the original text, so a page can highlight it.
    ``weight`` is the passage's share of the evidence for the cluster (the weights of one
    explanation sum to 1). ``terms`` are the cluster's catalogue terms the passage relates to.
    """

    text: str
    start: int
    end: int
    weight: float
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a profile matched a cluster: the passages that drove it and the cluster terms they hit."""

    evidence: tuple[Evidence, ...]
    matched_terms: tuple[str, ...]
    similar_examples: tuple[str, ...] = ()
    activity_codes: tuple[str, ...] = ()  # the activity codes (PKD, NACE) cited that point here, described

    def summary(self) -> str:
        """One readable sentence, e.g. for a table cell."""
        codes = "; ".join(self.activity_codes[:2])
        if not self.evidence:
            return codes or "no passage of the profile relates to this cluster"
        lead = self.evidence[0].text
        if len(lead) > 90:
            lead = lead[:87] + "..."
        terms = ", ".join(self.matched_terms[:4])
        return f'"{lead}"' + (f" ~ {terms}" if terms else "") + (f" ({codes})" if codes else "")


@dataclass(frozen=True, slots=True)
class Match:
    """One cluster's place in a ranking.

    ``score`` is a calibrated probability in [0, 1] that a liaison officer would accept this
    cluster for the profile; scores are comparable across profiles.
    """

    cluster: str
    label: str
    score: float
    explanation: Explanation | None = None


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer for one profile: every cluster ranked, the routing decision and its doubt."""

    text: str
    lang: str
    ranking: tuple[Match, ...]
    decision: tuple[str, ...]
    needs_review: bool
    review_reason: str | None = None
    #: ``routed`` (``decision`` names clusters), ``no_fit`` (a clear out-of-scope organisation) or
    #: ``unclear`` (the text does not say what the organisation does: ask it)
    outcome: str = "routed"
    provenance: dict[str, object] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class LabelledProfile:
    """A profile with every cluster an officer would accept (``("none",)`` for out of scope)."""

    id: str
    text: str
    labels: tuple[str, ...]
    lang: str | None = None
    split: str | None = None

    @property
    def is_no_fit(self) -> bool:
        return self.labels == ("none",)
