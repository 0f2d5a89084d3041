"""The HTTP contract: pydantic models named by direction (``...Request``/``...Create`` in, ``...Public`` out).

Request models are strict (no silent coercion of ``"3"`` to ``3``) and forbid unknown fields, so a
client's typo is a 422 rather than an ignored field. Limits that depend on settings (text length,
batch size) are checked by :class:`service.state.Runtime`, not here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from matcher.catalogue import Catalogue, Cluster
from matcher.serialize import result_to_dict
from matcher.store import FeedbackRow, InquiryRow
from matcher.store_queries import InquiryFilter
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

#: How every answer of the matcher says which fitted state made it (``provenance``).
_FITTED_STATE = (
    "Models, catalogue version and hash, n_examples, n_feedback (the feedback profiles learned from), and"
    " fitted_state: a short hash of everything the matcher was fitted from (catalogue, labelled profiles,"
    " feedback, models, code). A write is acknowledged before the refit that learns it; answers show the"
    " new fitted_state once that refit is done."
)


def _whole_number(value: object) -> object:
    """JSON Schema counts 3.0 as an integer; strict validation alone would not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


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


class InquiryRankedPublic(RankedPublic):
    """A cluster's score for an inquiry; the clusters explained when it arrived (the best three) have
    their explanation's summary."""

    summary: dict[str, str] | None = Field(
        default=None,
        description="The explanation's summary in English and Polish ({'en': ..., 'pl': ...}); "
        "quotes and terms are the profile's own.",
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
    ranking: list[InquiryRankedPublic]
    officer_clusters: list[str] | None = Field(description="The officer's decision; [] means no cluster fits.")
    created_at: UtcDatetime
    decided_at: UtcDatetime | None
    provenance: dict[str, Any] | None = Field(
        default=None, description=f"The fitted state that routed the inquiry when it arrived. {_FITTED_STATE}"
    )

    @classmethod
    def of(cls, row: InquiryRow) -> InquiryPublic:
        return cls.model_validate(row, from_attributes=True)


class InquiriesPublic(BaseModel):
    data: list[InquiryPublic]
    count: int = Field(description="The inquiries on this page.")
    total: int = Field(description="The inquiries that match the filters, on every page.")
    limit: int | None = None
    offset: int = 0

    @classmethod
    def of(
        cls, rows: list[InquiryRow], *, total: int | None = None, limit: int | None = None, offset: int = 0
    ) -> InquiriesPublic:
        total = len(rows) if total is None else total
        return cls(data=[InquiryPublic.of(r) for r in rows], count=len(rows), total=total, limit=limit, offset=offset)


#: The language an inquiry is filed under: English, Polish, or ``other`` (neither: the matcher guessed).
InquiryLanguage = Literal["en", "pl", "other"]
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")
_INSTANT = TypeAdapter(datetime)


def _date_or_instant(value: object) -> object:
    """A ``YYYY-MM-DD`` string stays a date (a whole day); an ISO 8601 date-time is an instant; nothing
    else is either (not a Unix time, which pydantic alone would take)."""
    if not isinstance(value, str) or _DATE_ONLY.fullmatch(value.strip()):
        return value
    if not _DATE_TIME.fullmatch(value.strip()):
        raise PydanticCustomError("date_or_time", "Input should be a date (YYYY-MM-DD) or an ISO 8601 date-time")
    return _INSTANT.validate_python(value.strip().upper())


#: A day (``2025-03-01``) or an instant (``2025-03-01T08:00:00+01:00``; without a zone, UTC).
DateOrInstant = Annotated[date | datetime, BeforeValidator(_date_or_instant)]


def _start(value: date | datetime, *, day_after: bool = False) -> datetime:
    """The UTC instant a bound stands for: a day's first moment (or the next day's), an instant as it is."""
    try:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return datetime.combine(value + timedelta(days=1) if day_after else value, time(), tzinfo=UTC)
    except OverflowError:
        raise PydanticCustomError("date_out_of_range", "the date is out of range") from None


class InquiryFilters(BaseModel):
    """Which inquiries the office asks for (query parameters); each one left out filters nothing."""

    status: Status | None = Field(
        default=None, description="needs_review (the review queue), routed, or decided (by an officer)."
    )
    q: Annotated[Str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Text found in the profile or the contact, whatever its case."
    )
    cluster: ClusterId | None = Field(
        default=None,
        description="The matcher's first cluster or one of the officer's is this one; "
        "'none': the matcher or the officer found no cluster fits.",
    )
    lang: InquiryLanguage | None = Field(
        default=None, description="en, pl, or other (written in neither: the matcher only guessed)."
    )
    created_from: DateOrInstant | None = Field(
        default=None, description="Received at or after: a date (from its start, UTC) or a date-time."
    )
    created_to: DateOrInstant | None = Field(
        default=None, description="Received before: a date (to its end, inclusive, UTC) or a date-time (exclusive)."
    )

    @field_validator("created_from")
    @classmethod
    def _in_range(cls, value: date | datetime | None) -> date | datetime | None:
        if value is not None:
            _start(value)
        return value

    @field_validator("created_to")
    @classmethod
    def _after_start(cls, value: date | datetime | None, info: ValidationInfo) -> date | datetime | None:
        if value is None:
            return value
        end, begin = _start(value, day_after=True), info.data.get("created_from")
        if begin is not None and end <= _start(begin):
            raise PydanticCustomError("date_range", "created_to must come after created_from")
        return value

    def to_filter(self) -> InquiryFilter:
        """The store's filter: the bounds as UTC instants (a date to: up to the next day's start)."""
        return InquiryFilter(
            status=self.status,
            search=self.q,
            cluster=self.cluster,
            lang=self.lang,
            created_from=None if self.created_from is None else _start(self.created_from),
            created_to=None if self.created_to is None else _start(self.created_to, day_after=True),
        )


ExportFormat = Literal["csv", "xlsx"]


# -- the office's dashboard -----------------------------------------------------------------------


class WeekPublic(BaseModel):
    week: date = Field(description="The week's Monday (weeks run Monday to Sunday, UTC).")
    inquiries: int
    needs_review: int = Field(description="Of them, set aside for review when they arrived.")
    review_share: float | None = Field(description="needs_review / inquiries; null for a week without any.")


class ClusterCountPublic(BaseModel):
    cluster: str = Field(description="A cluster id, or 'none' (no cluster fits).")
    matcher: int = Field(description="Inquiries whose first cluster in the matcher's decision is this one.")
    officer: int = Field(description="Decided inquiries whose first cluster in the officer's decision is this one.")


class AgreementPublic(BaseModel):
    lang: Literal["all", "en", "pl", "other"]
    decisions: int
    agreed: int = Field(
        description="Decisions where the matcher's first cluster is among the officer's, or both said none fits."
    )
    accuracy: float | None = Field(description="agreed / decisions; null without decisions.")


class ScoreBandPublic(BaseModel):
    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)
    pairs: int = Field(description="(Inquiry, cluster) pairs of the decisions whose score falls in the band.")
    mean_score: float | None = Field(description="The matcher's mean score over those pairs.")
    acceptance: float | None = Field(description="The share of those pairs the officer accepted.")


class StatsPublic(BaseModel):
    """The office's dashboard: the inquiries of the last ``weeks`` weeks and the last ``last`` decisions."""

    weeks: list[WeekPublic] = Field(description="Every week of the window, oldest first, empty ones too.")
    inquiries: int
    needs_review: int
    review_share: float | None
    clusters: list[ClusterCountPublic]
    last: int = Field(description="How many of the latest decisions agreement and calibration read, at most.")
    agreement: list[AgreementPublic] = Field(description="All the decisions, then per language.")
    calibration: list[ScoreBandPublic] = Field(
        description="Per score band: the matcher's mean score and how often officers accepted the cluster; "
        "a calibrated matcher has the two close."
    )


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
