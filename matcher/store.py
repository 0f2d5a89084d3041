"""The shared store (SQLAlchemy 2): inquiries, officers' feedback and catalogue edits.

SQLite by default, any SQLAlchemy URL (PostgreSQL) by setting. The CLI and every service worker
open the same database, which is the only shared state. Not imported by ``import matcher``.
The tables themselves are in :mod:`matcher.store_rows`; they are re-exported here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

from matcher.catalogue import Catalogue, Cluster, cluster_from_dict
from matcher.config import NO_FIT
from matcher.profiles import normalise_labels
from matcher.store_engine import create_schema, display_url, make_engine
from matcher.store_queries import InquiryFilter, filter_conditions, ranking_entry
from matcher.store_rows import (
    Base,
    CatalogueEditRow,
    FeedbackRow,
    InquiryRow,
    StoredText,
    UtcDateTime,
    storable,
    utc_now,
)
from matcher.types import LabelledProfile, MatchResult

__all__ = [
    # store.py
    "NotFound",
    "Store",
    # store_engine.py
    "display_url",
    "make_engine",
    # store_rows.py
    "Base",
    "CatalogueEditRow",
    "FeedbackRow",
    "InquiryRow",
    "StoredText",
    "UtcDateTime",
    "storable",
]


class NotFound(LookupError):
    """No inquiry or feedback with that id."""


def _queue(needs_review: bool) -> str:
    """The status of an inquiry no officer has decided (or whose decision was withdrawn)."""
    return "needs_review" if needs_review else "routed"


def _take_feedback_turn(s: Session) -> None:
    """Hold the right to write feedback until the commit, so that "is it stored already?" and
    "store it" are one step across workers: two of them checking at once would both add it.

    PostgreSQL: a table lock that only feedback writers wait for (readers do not). SQLite (and
    others): a write as the transaction's first statement takes the database's write lock, waiting
    out the busy timeout, as :meth:`Store.decide_inquiry` does.
    """
    if s.get_bind().dialect.name == "postgresql":
        s.connection().exec_driver_sql("LOCK TABLE feedback IN SHARE ROW EXCLUSIVE MODE")
    else:
        s.execute(update(FeedbackRow).where(FeedbackRow.id == -1).values(id=FeedbackRow.id))


def _feedback_row(profile: LabelledProfile, source: str, inquiry_id: int | None = None) -> FeedbackRow:
    return FeedbackRow(
        text=profile.text,
        labels=list(normalise_labels(profile.labels)),
        lang=profile.lang,
        source=source,
        external_id=profile.id or None,
        inquiry_id=inquiry_id,
    )


class Store:
    """All reads and writes of the shared database; each method is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        create_schema(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()

    # -- feedback ---------------------------------------------------------------------------

    def add_feedback(
        self,
        profiles: Iterable[LabelledProfile],
        *,
        source: str = "import",
        inquiry_id: int | None = None,
        skip_known: bool = False,
    ) -> list[int]:
        """Store ``profiles`` as active feedback; returns the new rows' ids.

        With ``skip_known``, a profile whose text and labels some active feedback already has is
        left out (a file imported twice does not count twice).
        """
        with self.session() as s:
            if skip_known:
                _take_feedback_turn(s)
                active = s.execute(
                    select(FeedbackRow.text, FeedbackRow.labels).where(FeedbackRow.withdrawn_at.is_(None))
                )
                known = {(text, frozenset(labels)) for text, labels in active}
                fresh = []
                for p in profiles:  # also a line repeated in the file, and labels in another order
                    key = (storable(p.text), frozenset(normalise_labels(p.labels)))
                    if key not in known:
                        known.add(key)
                        fresh.append(p)
                profiles = fresh
            rows = [_feedback_row(p, source, inquiry_id) for p in profiles]
            s.add_all(rows)
            s.flush()
            return [r.id for r in rows]

    def add_feedback_once(self, profile: LabelledProfile, *, source: str = "api") -> tuple[FeedbackRow, bool]:
        """Store ``profile`` as feedback unless some active feedback has its text and labels (in any
        order): (that row or the new one, whether it is new), in one transaction. The same feedback
        sent to several workers at once (a retry, a double click) is stored once."""
        with self.session() as s:
            _take_feedback_turn(s)
            known = self._active_with(s, profile.text, profile.labels)
            if known is not None:
                return known, False
            row = _feedback_row(profile, source)
            s.add(row)
            s.flush()
            return row, True

    def list_feedback(self, *, include_withdrawn: bool = False) -> list[FeedbackRow]:
        with self.session() as s:
            q = select(FeedbackRow).order_by(FeedbackRow.id)
            if not include_withdrawn:
                q = q.where(FeedbackRow.withdrawn_at.is_(None))
            return list(s.scalars(q))

    def get_feedback(self, feedback_id: int) -> FeedbackRow:
        with self.session() as s:
            return self._feedback_row(s, feedback_id)

    def find_feedback(self, text: str, labels: Sequence[str]) -> FeedbackRow | None:
        """The oldest active feedback with this text and these labels (in any order), if any."""
        with self.session() as s:
            return self._active_with(s, text, labels)

    @staticmethod
    def _active_with(s: Session, text: str, labels: Sequence[str]) -> FeedbackRow | None:
        active = FeedbackRow.withdrawn_at.is_(None)
        rows = s.scalars(select(FeedbackRow).where(FeedbackRow.text == text, active).order_by(FeedbackRow.id))
        wanted = set(normalise_labels(labels))
        return next((r for r in rows if set(r.labels) == wanted), None)

    def withdraw_feedback(self, feedback_id: int) -> FeedbackRow:
        """Stop learning from a feedback row (it stays listed). Withdrawing an officer's decision
        puts its inquiry back where it was before the decision: in the review queue, or routed.

        What it changes is held first, in the order :meth:`decide_inquiry` holds it (the inquiry,
        then its feedback), and the row is read again: a new decision on the inquiry, or another
        withdrawal, made at the same moment is then seen rather than undone. (Without it, the
        withdrawal could reopen an inquiry whose new decision was active, and PostgreSQL answered
        some of those races with a deadlock.)
        """
        with self.session() as s:
            row = self._feedback_row(s, feedback_id)
            if row.inquiry_id is not None:
                s.execute(update(InquiryRow).where(InquiryRow.id == row.inquiry_id).values(status=InquiryRow.status))
            s.execute(update(FeedbackRow).where(FeedbackRow.id == feedback_id).values(source=FeedbackRow.source))
            s.refresh(row)
            if row.withdrawn_at is None:
                row.withdrawn_at = utc_now()
                if row.inquiry_id is not None:  # active officer feedback is its inquiry's decision
                    inquiry = s.get_one(InquiryRow, row.inquiry_id, populate_existing=True)
                    inquiry.status = _queue(inquiry.needs_review)
                    inquiry.officer_clusters = inquiry.decided_at = None
            return row

    @staticmethod
    def _feedback_row(s: Session, feedback_id: int) -> FeedbackRow:
        row = s.get(FeedbackRow, feedback_id)
        if row is None:
            raise NotFound(f"no feedback with id {feedback_id}")
        return row

    def feedback_profiles(self) -> list[LabelledProfile]:
        """Active feedback as labelled profiles, oldest first."""
        return [
            LabelledProfile(id=f"feedback:{r.id}", text=r.text, labels=tuple(r.labels), lang=r.lang)
            for r in self.list_feedback()
        ]

    def state_token(self) -> tuple[Any, ...]:
        """Changes whenever feedback or the catalogue changes: a cheap check for stale matchers."""
        with self.session() as s:
            fb = s.execute(select(func.count(FeedbackRow.id), func.max(FeedbackRow.id))).one()
            withdrawn = s.scalar(select(func.count(FeedbackRow.id)).where(FeedbackRow.withdrawn_at.is_not(None)))
            edits = s.scalar(select(func.max(CatalogueEditRow.id)))
            return (fb[0], fb[1], withdrawn, edits)

    # -- catalogue edits --------------------------------------------------------------------

    def put_cluster(self, payload: dict[str, Any]) -> Cluster:
        """Store a cluster edit; raises :class:`CatalogueError` for what could not be loaded back."""
        cluster = cluster_from_dict(payload, source="edit")
        with self.session() as s:
            s.add(CatalogueEditRow(cluster_id=payload["id"], action="put", payload=json.loads(json.dumps(payload))))
        return cluster

    def delete_cluster(self, cluster_id: str) -> None:
        with self.session() as s:
            s.add(CatalogueEditRow(cluster_id=cluster_id, action="delete", payload=None))

    def apply_edits(self, catalogue: Catalogue) -> Catalogue:
        """The catalogue file with every stored edit replayed in order."""
        with self.session() as s:
            edits = list(s.scalars(select(CatalogueEditRow).order_by(CatalogueEditRow.id)))
        for e in edits:
            if e.action == "put" and e.payload is not None:
                catalogue = catalogue.with_cluster(cluster_from_dict(e.payload, source="edit"))
            elif e.action == "delete" and e.cluster_id in catalogue and len(catalogue) > 1:
                catalogue = catalogue.without(e.cluster_id)
        return catalogue

    # -- inquiries --------------------------------------------------------------------------

    def add_inquiry(self, result: MatchResult, *, contact: str | None = None) -> InquiryRow:
        with self.session() as s:
            row = InquiryRow(
                text=result.text,
                lang=result.lang,
                contact=contact,
                status=_queue(result.needs_review),
                decision=list(result.decision),
                ranking=[ranking_entry(m) for m in result.ranking],
                needs_review=result.needs_review,
                review_reason=result.review_reason,
                provenance=dict(result.provenance),
            )
            s.add(row)
            s.flush()
            return row

    def get_inquiry(self, inquiry_id: int) -> InquiryRow:
        with self.session() as s:
            row = s.get(InquiryRow, inquiry_id)
            if row is None:
                raise NotFound(f"no inquiry with id {inquiry_id}")
            return row

    def list_inquiries(
        self,
        *,
        status: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
        where: InquiryFilter | None = None,
    ) -> list[InquiryRow]:
        """Inquiries, newest first: those with ``status`` and matching ``where`` (see
        :class:`~matcher.store_queries.InquiryFilter`); ``limit=None`` for all of them."""
        if status is not None:
            where = dataclasses.replace(where or InquiryFilter(), status=status)
        with self.session() as s:
            q = select(InquiryRow).order_by(InquiryRow.id.desc()).limit(limit).offset(offset)
            return list(s.scalars(q.where(*filter_conditions(where, s.get_bind().dialect.name))))

    def count_inquiries(self, where: InquiryFilter | None = None) -> int:
        """How many inquiries match ``where`` (all of them without it)."""
        with self.session() as s:
            q = select(func.count()).select_from(InquiryRow)
            return int(s.scalar(q.where(*filter_conditions(where, s.get_bind().dialect.name))) or 0)

    def decide_inquiry(self, inquiry_id: int, clusters: Sequence[str]) -> InquiryRow:
        """Record an officer's confirmation or correction; it becomes feedback in the same commit.

        No cluster, written ``[]`` or ``["none"]``, is kept as ``[]`` on the inquiry (as a routing
        decision says it) and as ``["none"]`` in the feedback (as labelled profiles say it).

        A new decision replaces the earlier one's feedback. The inquiry is written first, which
        holds its row (the database, in SQLite) until the commit, so decisions on one inquiry sent
        at the same moment take turns and exactly one of them stays active.
        """
        labels = list(normalise_labels(clusters))
        with self.session() as s:
            decided: CursorResult[Any] = s.execute(  # type: ignore[assignment]  # an UPDATE's result is a cursor
                update(InquiryRow)
                .where(InquiryRow.id == inquiry_id)
                .values(officer_clusters=[c for c in labels if c != NO_FIT], status="decided", decided_at=utc_now())
            )
            if decided.rowcount == 0:
                raise NotFound(f"no inquiry with id {inquiry_id}")
            s.execute(
                update(FeedbackRow)
                .where(FeedbackRow.inquiry_id == inquiry_id, FeedbackRow.withdrawn_at.is_(None))
                .values(withdrawn_at=utc_now())
            )
            row = s.get_one(InquiryRow, inquiry_id, populate_existing=True)
            s.add(FeedbackRow(text=row.text, labels=labels, lang=row.lang, source="officer", inquiry_id=row.id))
            return row
