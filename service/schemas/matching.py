"""Matching and triage: profiles in, rankings, decisions and explanations out."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
)

from matcher.catalogue import Catalogue
from matcher.serialize import result_to_dict
from matcher.types import MatchResult
from service.schemas.clusters import ClusterSummary
from service.schemas.types import (
    _FITTED_STATE,
    Outcome,
    ProfileText,
    Str,
    _In,
    _whole_number,
)

# -- matching -------------------------------------------------------------------------------------


class MatchRequest(_In):
    text: ProfileText
    top_k: Annotated[int, BeforeValidator(_whole_number)] = Field(
        default=3, ge=1, le=100, description="How many clusters to return and explain, best first."
    )


class PhrasePublic(BaseModel):
    """Words of a passage that tie it to the cluster; ``start``/``end`` are code-point offsets into the
    submitted text (not into the passage)."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    terms: list[str] = Field(description="The cluster's catalogue terms the phrase relates to.")


class EvidencePublic(BaseModel):
    """A passage of the profile; ``start``/``end`` are code-point offsets into the submitted text."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    weight: float
    terms: list[str]
    phrases: list[PhrasePublic] = Field(
        description="The words and short phrases of the passage that tie it to the cluster, in text order."
    )


class ExplanationPublic(BaseModel):
    summary: str = Field(description="One sentence in the profile's language.")
    evidence: list[EvidencePublic]
    matched_terms: list[str] = Field(
        description="Catalogue terms in the profile's language that it relates to, one of each inflected group."
    )
    similar_examples: list[str]
    activity_codes: list[str] = Field(description="Activity codes (PKD, NACE) the profile cites that point here.")
    basis: Literal["passages", "activity_codes", "profile", "weak"] = Field(
        description="What the score rests on: passages of the profile that point here more than elsewhere; "
        "else the activity codes it cites, the profile as a whole resembling the cluster's members "
        "(similar_examples), or nothing in particular (a weak fit)."
    )


class ClusterMatchPublic(BaseModel):
    """One cluster's place in the ranking; ``score`` is a calibrated confidence in [0, 1]."""

    cluster: ClusterSummary
    label: str
    score: float = Field(ge=0, le=1)
    explanation: ExplanationPublic | None


class MatchPublic(BaseModel):
    decision: list[str] = Field(description="Clusters the profile is routed to, best first; [] means none fits.")
    needs_review: bool
    review_reason: str | None
    outcome: Outcome
    lang: str
    matches: list[ClusterMatchPublic]
    provenance: dict[str, Any] = Field(description=f"The fitted state that made this answer. {_FITTED_STATE}")

    @classmethod
    def of(cls, result: MatchResult, catalogue: Catalogue, *, top_k: int) -> MatchPublic:
        return cls.model_validate(result_to_dict(result, top_k=top_k, catalogue=catalogue))


# -- triage ---------------------------------------------------------------------------------------


class TriageProfile(_In):
    id: Annotated[Str, Field(min_length=1, max_length=200)]
    text: ProfileText


class TriageRequest(_In):
    profiles: list[TriageProfile] = Field(
        min_length=1,
        description="At most MATCHER_ANONYMOUS_MAX_BATCH profiles without the admin key, MATCHER_MAX_BATCH with it.",
    )


class RankedPublic(BaseModel):
    cluster: str
    score: float = Field(ge=0, le=1)


class TriageLinePublic(BaseModel):
    """A triage line, the same as ``matcher triage`` writes (other programs read these fields)."""

    id: str
    decision: list[str]
    needs_review: bool
    review_reason: str | None = Field(description="Why a person should look; null when none should.")
    outcome: Outcome
    ranking: list[RankedPublic]


class TriageLinesPublic(BaseModel):
    data: list[TriageLinePublic]
    count: int
    provenance: dict[str, Any] | None = Field(
        default=None, description=f"The fitted state that routed every line of the batch. {_FITTED_STATE}"
    )
