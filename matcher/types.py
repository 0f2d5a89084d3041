"""The frozen value objects the library returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Phrase:
    """A word or a few adjacent words of the profile that tie a passage to a cluster.

    ``start``/``end`` are character offsets into the original text (not into the passage), so a
    page can highlight them. ``terms`` are the cluster's catalogue terms the phrase relates to.
    """

    text: str
    start: int
    end: int
    terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    """A passage of the profile that drove a match.

    ``start``/``end`` are character offsets into the original text, so a page can highlight it.
    ``weight`` is the passage's share of the evidence for the cluster (the weights of one
    explanation sum to 1). ``terms`` are the cluster's catalogue terms the passage relates to.
    ``phrases`` are the words and short phrases inside the passage that tie it to the cluster
    (in text order, offsets into the original text too): a one-sentence profile is one passage
    for every cluster, but its phrases differ.
    """

    text: str
    start: int
    end: int
    weight: float
    terms: tuple[str, ...] = ()
    phrases: tuple[Phrase, ...] = ()


#: What an explanation's cluster score rests on (:attr:`Explanation.basis`): passages of the profile
#: that point at the cluster more than at the others; the activity codes the profile cites; the
#: profile as a whole resembling the cluster's members; or nothing in particular.
Basis = Literal["passages", "activity_codes", "profile", "weak"]

_NO_PASSAGE = {
    "en": "no passage of the profile points here more than at the other clusters",
    "pl": "żaden fragment profilu nie wskazuje na ten klaster bardziej niż na pozostałe",
}
#: What a summary says the score rests on when no passage points at the cluster, by basis and language.
_RESTS_ON = {
    "activity_codes": {
        "en": "{no_passage}; the score rests on the activity codes it cites: {codes}",
        "pl": "{no_passage}; wynik opiera się na podanych kodach działalności: {codes}",
    },
    "profile": {
        "en": "{no_passage}; the profile as a whole resembles this cluster's members: {example}",
        "pl": "{no_passage}; profil jako całość przypomina członków tego klastra: {example}",
    },
    "weak": {
        "en": "only weakly: {no_passage}, and the profile as a whole resembles none of its members",
        "pl": "tylko słabo: {no_passage}, a profil jako całość nie przypomina żadnego z jego członków",
    },
}


_LIKE = {"en": "like", "pl": "podobnie jak"}


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a profile matched a cluster: the passages that drove it and the cluster terms they hit.

    ``matched_terms`` are catalogue terms in the profile's language ``lang`` that the profile's
    words share a stem with or that its passages closely resemble, one of each group of inflected
    forms. ``basis`` says what the score rests on (:data:`Basis`): ``"passages"`` when
    ``evidence`` holds some; otherwise ``"activity_codes"`` (see ``activity_codes``), ``"profile"``
    (the profile as a whole resembles the examples in ``similar_examples``, the nearest first) or
    ``"weak"``.
    """

    evidence: tuple[Evidence, ...]
    matched_terms: tuple[str, ...]
    similar_examples: tuple[str, ...] = ()
    activity_codes: tuple[str, ...] = ()  # the activity codes (PKD, NACE) cited that point here, described
    basis: Basis = "passages"
    lang: str = "en"

    def summary(self, lang: str | None = None) -> str:
        """One readable sentence, e.g. for a table cell, in ``lang`` (by default the profile's)."""
        lang = lang if lang in _NO_PASSAGE else self.lang if self.lang in _NO_PASSAGE else "en"
        codes = "; ".join(self.activity_codes[:2])
        if not self.evidence:
            basis = "activity_codes" if codes else self.basis
            if basis not in _RESTS_ON or (basis == "profile" and not self.similar_examples):
                basis = "weak"
            example = f'"{_clip(self.similar_examples[0], 90)}"' if self.similar_examples else ""
            return _RESTS_ON[basis][lang].format(no_passage=_NO_PASSAGE[lang], codes=codes, example=example)
        lead = f'"{_clip(self.evidence[0].text, 90)}"'
        if self.matched_terms:
            lead += " ~ " + ", ".join(self.matched_terms[:4])
        elif self.similar_examples:  # no term to name: the profile it resembles
            lead += f' ({_LIKE[lang]} "{_clip(self.similar_examples[0], 60)}")'
        return lead + (f" ({codes})" if codes else "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


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
