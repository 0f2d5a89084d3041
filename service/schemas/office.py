"""The office's models: inquiries, decisions, filters, the dashboard's statistics and feedback."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from matcher.store import FeedbackRow, InquiryRow
from matcher.store_queries import InquiryFilter
from service.schemas.matching import RankedPublic
from service.schemas.types import (
    _FITTED_STATE,
    ClusterId,
    ProfileText,
    Status,
    Str,
    UtcDatetime,
    _In,
)

# -- inquiries ------------------------------------------------------------------------------------


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
    id: int | None = Field(
        description="The office's sequential number; null in the answer to an anonymous sender, who gets `ref`."
    )
    ref: str = Field(description="The inquiry's opaque reference, random rather than sequential.")
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

    @classmethod
    def anonymous(cls, row: InquiryRow) -> InquiryPublic:
        """What its sender sees without the admin key: the ``ref``, not the sequential ``id``."""
        return cls.of(row).model_copy(update={"id": None})


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
