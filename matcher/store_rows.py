"""The shared store's tables (SQLAlchemy 2 models) and the column types they are stored with.

:class:`matcher.store.Store` reads and writes these rows; the schema is ``Base.metadata``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "CatalogueEditRow",
    "FeedbackRow",
    "InquiryRow",
    "StoredText",
    "UtcDateTime",
    "new_ref",
    "storable",
    "utc_now",
]


def new_ref() -> str:
    """An inquiry's opaque reference: random (about 96 bits), unlike its sequential id, so the one
    anonymous senders see tells nobody how many inquiries there are."""
    return secrets.token_urlsafe(12)


def utc_now() -> datetime:
    """The current time in UTC: a row's default time stamp."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A point in time, stored with its time zone and always read back in UTC.

    Without it SQLite hands back naive datetimes, and PostgreSQL hands back the server's time zone
    (``+01:00`` from a server in Warsaw): the same instant, written differently by each replica.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return _as_utc(value)


def _as_utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC; a naive value is taken to be UTC already (as SQLite stores every time)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StoredText(TypeDecorator[str]):
    """Text from outside (profiles, files, contacts) of any length, with NUL stored as U+FFFD.

    PostgreSQL enforces a ``VARCHAR(n)`` length and refuses NUL in text, where SQLite takes both:
    an imported file with a 300-character id or a NUL in a profile stored on one and failed on the
    other. U+FFFD keeps a text's length and offsets, as the API does (``service.schemas``).
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value)


def storable(text: str) -> str:
    """``text`` as the store keeps it: NUL replaced by U+FFFD."""
    return text.replace("\x00", "\ufffd")


class Base(DeclarativeBase):
    pass


class InquiryRow(Base):
    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, default=new_ref)
    text: Mapped[str] = mapped_column(StoredText)
    lang: Mapped[str] = mapped_column(String(8))
    contact: Mapped[str | None] = mapped_column(StoredText, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # routed | needs_review | decided
    decision: Mapped[list[str]] = mapped_column(JSON)
    ranking: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    review_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON)
    officer_clusters: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(StoredText)
    labels: Mapped[list[str]] = mapped_column(JSON)
    lang: Mapped[str | None] = mapped_column(StoredText, nullable=True)  # as a file gives it
    source: Mapped[str] = mapped_column(String(32))  # import | officer
    external_id: Mapped[str | None] = mapped_column(StoredText, nullable=True)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class CatalogueEditRow(Base):
    __tablename__ = "catalogue_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(8))  # put | delete
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
