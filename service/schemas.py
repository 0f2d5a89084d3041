"""The HTTP contract: pydantic models named by direction (``...Request``/``...Create`` in, ``...Public`` out).

Request models are strict (no silent coercion of ``"3"`` to ``3``) and forbid unknown fields, so a
client's typo is a 422 rather than an ignored field. Limits that depend on settings (text length,
batch size) are checked by :class:`service.state.Runtime`, not here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from matcher.catalogue import Catalogue, Cluster
from matcher.serialize import result_to_dict
from matcher.store import FeedbackRow, InquiryRow
from matcher.text import INVISIBLE, is_valid_unicode
from matcher.types import MatchResult


def _storable(value: str) -> str:
    """Refuse a lone surrogate (a JSON escape such as ``\\udfff``), which can be neither stored nor
    sent back; replace NUL, which PostgreSQL cannot store in text, by U+FFFD (so offsets stay right).

    Constrained strings (profile texts) are already refused by pydantic as invalid Unicode; this
    gives the others (a contact, a triage id) the same 422.
    """
    if not is_valid_unicode(value):
        raise PydanticCustomError("string_unicode", "Input should be valid Unicode text, not a lone surrogate")
    return value.replace("\x00", "\ufffd")


# Whitespace by the union of Python's and ECMAScript's definitions of it, so that the server and
# every client validating the schema with an ECMAScript regex agree.
_WHITESPACE = r"\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: Something other than whitespace and the characters that show nothing (``matcher.text.INVISIBLE``):
#: the schema's pattern for ``matcher.text.is_blank``.
VISIBLE = "[^" + _WHITESPACE + "".join(f"\\u{ord(c):04x}" for c in INVISIBLE) + "]"
_visible = re.compile(VISIBLE)


def _not_blank(value: str) -> str:
    if not _visible.search(value):
        raise ValueError("must not be empty or only whitespace")
    return value


#: Any string a client sends: stored and echoed safely.
Str = Annotated[str, AfterValidator(_storable)]
#: A string with some visible content (profile texts, catalogue fields).
_VISIBLE: dict[str, Any] = {"pattern": VISIBLE}  # documented for clients; enforced with a clearer message
# Blank is judged before _storable: the U+FFFD that stands for a NUL would look like something to show.
NonBlank = Annotated[
    str, Field(min_length=1, json_schema_extra=_VISIBLE), AfterValidator(_not_blank), AfterValidator(_storable)
]
ProfileText = Annotated[
    str,
    Field(
        min_length=1,
        json_schema_extra=_VISIBLE,
        description="The company's profile in English or Polish; not blank, at most MATCHER_MAX_TEXT_CHARS characters.",
        examples=["Projektujemy i montujemy instalacje chłodnicze dla przemysłu spożywczego."],
    ),
    AfterValidator(_not_blank),
    AfterValidator(_storable),
]
ClusterId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$", examples=["hvac"])]
#: A cluster id a new cluster may take: ``none`` is reserved for "fits no cluster".
NewClusterId = Annotated[ClusterId, Field(json_schema_extra={"not": {"const": "none"}})]
Status = Literal["routed", "needs_review", "decided"]
#: What the matcher made of a text: routed to ``decision``; ``no_fit``, a clear out-of-scope
#: organisation; ``unclear``, a text that does not say what the organisation does (ask it).
Outcome = Annotated[
    Literal["routed", "no_fit", "unclear"],
    Field(description="routed; no_fit (out of scope); unclear (the text does not say what the organisation does)"),
]


class _In(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class Message(BaseModel):
    """An error or a note: ``{"detail": "..."}``."""

    detail: str


# -- clusters -------------------------------------------------------------------------------------


class LangTexts(_In):
    en: NonBlank
    pl: NonBlank


class LangLists(_In):
    en: list[NonBlank] = Field(min_length=1)
    pl: list[NonBlank] = Field(min_length=1)


class ClusterUpdate(_In):
    """A whole cluster for ``PUT /v1/clusters/{id}`` (creates it, or replaces it); the id is the path's."""

    name: LangTexts
    description: LangTexts
    terms: LangLists
    typical_members: LangLists
    former_names: list[NonBlank] = Field(default_factory=list)
    url: Annotated[str, Field(max_length=2000, pattern=rf"^https?://{VISIBLE}+$")] | None = None

    def to_payload(self, cluster_id: str) -> dict[str, Any]:
        """The catalogue's JSON form of this cluster, with the id from the path."""
        return {"id": cluster_id, **self.model_dump()}


class ClusterSummary(BaseModel):
    """What a client needs to show a cluster: names, description and link, in English and Polish."""

    id: str
    name: dict[str, str]
    description: dict[str, str]
    former_names: list[str]
    url: str | None

    @classmethod
    def of(cls, cluster: Cluster) -> Self:
        return cls.model_validate(cluster.to_dict())


class ClusterPublic(ClusterSummary):
    """A cluster with the terms and member sketches it is matched by."""

    terms: dict[str, list[str]]
    typical_members: dict[str, list[str]]


class ClustersPublic(BaseModel):
    data: list[ClusterPublic]
    count: int

    @classmethod
    def of(cls, catalogue: Catalogue) -> ClustersPublic:
        data = [ClusterPublic.of(c) for c in catalogue]
        return cls(data=data, count=len(data))


# -- matching -------------------------------------------------------------------------------------


def _whole_number(value: object) -> object:
    """JSON Schema counts 3.0 as an integer; strict validation alone would not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class MatchRequest(_In):
    text: ProfileText
    top_k: Annotated[int, BeforeValidator(_whole_number)] = Field(
        default=3, ge=1, le=100, description="How many clusters to return and explain, best first."
    )


class EvidencePublic(BaseModel):
    """A passage of the profile; ``start``/``end`` are code-point offsets into the submitted text."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    weight: float
    terms: list[str]


class ExplanationPublic(BaseModel):
    summary: str
    evidence: list[EvidencePublic]
    matched_terms: list[str]
    similar_examples: list[str]
    activity_codes: list[str] = Field(description="Activity codes (PKD, NACE) the profile cites that point here.")


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
    provenance: dict[str, Any]

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


# -- inquiries ------------------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class InquiryCreate(_In):
    text: ProfileText
    contact: Annotated[Str, Field(max_length=320, description="How the office can reach the company.")] | None = None


class DecisionCreate(_In):
    clusters: list[ClusterId] = Field(
        max_length=20,
        description='The clusters the inquiry belongs to, best first; [] or ["none"] means no cluster fits.',
    )


class InquiryPublic(BaseModel):
    id: int
    text: str
    lang: str
    contact: str | None
    status: Status
    decision: list[str] = Field(description="The matcher's routing when the inquiry arrived.")
    needs_review: bool
    review_reason: str | None
    ranking: list[RankedPublic]
    officer_clusters: list[str] | None = Field(description="The officer's decision; [] means no cluster fits.")
    created_at: UtcDatetime
    decided_at: UtcDatetime | None

    @classmethod
    def of(cls, row: InquiryRow) -> InquiryPublic:
        return cls.model_validate(row, from_attributes=True)


class InquiriesPublic(BaseModel):
    data: list[InquiryPublic]
    count: int

    @classmethod
    def of(cls, rows: list[InquiryRow]) -> InquiriesPublic:
        return cls(data=[InquiryPublic.of(r) for r in rows], count=len(rows))


# -- feedback -------------------------------------------------------------------------------------


class FeedbackCreate(_In):
    text: ProfileText
    labels: list[ClusterId] = Field(
        max_length=20,
        description='Every cluster an officer would accept; ["none"] or [] for out of scope (stored as ["none"]).',
    )


class FeedbackPublic(BaseModel):
    id: int
    text: str
    labels: list[str]
    lang: str | None
    source: str
    inquiry_id: int | None
    created_at: UtcDatetime
    withdrawn_at: UtcDatetime | None

    @classmethod
    def of(cls, row: FeedbackRow) -> FeedbackPublic:
        return cls.model_validate(row, from_attributes=True)


class FeedbacksPublic(BaseModel):
    data: list[FeedbackPublic]
    count: int

    @classmethod
    def of(cls, rows: list[FeedbackRow]) -> FeedbacksPublic:
        return cls(data=[FeedbackPublic.of(r) for r in rows], count=len(rows))


# -- health ---------------------------------------------------------------------------------------


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"


class ReadinessPublic(BaseModel):
    status: Literal["ready", "loading", "failed"]
    detail: str | None = None
    clusters: int | None = None
    provenance: dict[str, Any] | None = None


# -- documented error responses -------------------------------------------------------------------

_ERRORS = {
    401: "Missing or wrong X-API-Key, or admin disabled (no MATCHER_API_KEY)",
    404: "Unknown cluster, inquiry or feedback",
    409: "The change would leave the catalogue empty",
    413: "Request body over MATCHER_MAX_BODY_BYTES",
    429: "Too many requests from this address, or too many wrong admin keys; the Retry-After header says when to retry",
    503: "The models are still loading",
}


def document_limits(openapi: dict[str, Any], *, max_text_chars: int, max_batch: int) -> dict[str, Any]:
    """Write the configured text and batch limits into the OpenAPI document (they are settings, not constants)."""
    components = openapi["components"]["schemas"]
    for model in (MatchRequest, TriageProfile, InquiryCreate, FeedbackCreate):
        components[model.__name__]["properties"]["text"]["maxLength"] = max_text_chars
    components[TriageRequest.__name__]["properties"]["profiles"]["maxItems"] = max_batch
    return openapi


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes, each a :class:`Message`."""
    return {code: {"model": Message, "description": _ERRORS[code]} for code in codes}
