"""The office's questions to the stored inquiries, as SQL: filters, counts per week and per cluster,
and the latest officers' decisions; and what an inquiry keeps for the office (:func:`ranking_entry`).

Every filter is a condition in the query, so paging and totals come from the database, not from
reading every row. SQLite and PostgreSQL differ in their JSON and date functions and in folding
case; where they do, the dialect's name picks the form (:func:`filter_conditions`,
:func:`week_start`). SQLite folds only ASCII letters itself, so :func:`register_sqlite_functions`
(called on each new connection by :func:`matcher.store.make_engine`) adds Python's ``str.lower``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, String, and_, case, cast, exists, false, func, literal, or_, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from matcher.config import NO_FIT
from matcher.decision import FOREIGN_REASON
from matcher.store_rows import InquiryRow
from matcher.types import Match

__all__ = [
    "LANGUAGES",
    "DecidedInquiry",
    "InquiryFilter",
    "cluster_counts",
    "filter_conditions",
    "inquiry_language",
    "language",
    "matcher_first",
    "ranking_entry",
    "recent_decisions",
    "register_sqlite_functions",
    "week_counts",
    "week_start",
]

#: The languages an inquiry is filed under: the two the matcher reads, and ``other`` for a text in
#: neither (its ``lang`` column holds the matcher's guess between the two).
LANGUAGES = ("en", "pl", "other")
#: The SQLite function that lower-cases any letter (SQLite's own ``lower`` knows only ASCII).
_FOLD = "matcher_fold"


@dataclass(frozen=True, slots=True)
class InquiryFilter:
    """Which inquiries the office asks for; ``None`` leaves a field unfiltered.

    ``search`` is found anywhere in the text or the contact, whatever the case. ``cluster`` is the
    matcher's first cluster or one of the officer's (``"none"``: either said no cluster fits).
    ``lang`` is one of :data:`LANGUAGES`. ``created_from`` is inclusive, ``created_to`` exclusive.
    """

    status: str | None = None
    search: str | None = None
    cluster: str | None = None
    lang: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def ranking_entry(match: Match) -> dict[str, Any]:
    """A cluster's place in a stored ranking; a cluster that was explained keeps its explanation's
    summary in English and Polish (the office reads it in its interface's language)."""
    entry: dict[str, Any] = {"cluster": match.cluster, "score": match.score}
    if match.explanation is not None:
        entry["summary"] = {lang: match.explanation.summary(lang) for lang in ("en", "pl")}
    return entry


def register_sqlite_functions(dbapi_conn: sqlite3.Connection) -> None:
    """Add the functions the queries here call on SQLite (a new connection's ``connect`` event)."""
    dbapi_conn.create_function(_FOLD, 1, _fold, deterministic=True)


def _fold(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


def language() -> ColumnElement[str]:
    """An inquiry's language as the office files it: ``en``, ``pl`` or ``other`` (in SQL; see
    :func:`inquiry_language` for one row already read)."""
    return case((InquiryRow.review_reason.startswith(FOREIGN_REASON, autoescape=True), "other"), else_=InquiryRow.lang)


def inquiry_language(row: InquiryRow) -> str:
    """:func:`language` of one inquiry read from the store."""
    return "other" if (row.review_reason or "").startswith(FOREIGN_REASON) else row.lang


def matcher_first() -> ColumnElement[str]:
    """The first cluster of the matcher's decision, ``"none"`` when it routed to none."""
    return func.coalesce(InquiryRow.decision[0].as_string(), NO_FIT)


def officer_first() -> ColumnElement[str]:
    """The first of the officer's clusters (``"none"`` when none fits); only for decided inquiries."""
    return func.coalesce(InquiryRow.officer_clusters[0].as_string(), NO_FIT)


def _lower(column: Any, dialect: str) -> ColumnElement[str]:
    return getattr(func, _FOLD)(column) if dialect == "sqlite" else func.lower(column)


def _officer_chose(cluster: str, dialect: str) -> ColumnElement[bool]:
    """The officer's decision names ``cluster`` (read only where there is a decision: a withdrawn
    one is stored as JSON ``null``, which PostgreSQL's array functions refuse)."""
    if dialect == "postgresql":
        chose: ColumnElement[bool] = cast(InquiryRow.officer_clusters, postgresql.JSONB).contains([cluster])
    else:
        elements = func.json_each(InquiryRow.officer_clusters).table_valued("value")
        chose = exists(select(literal(1)).select_from(elements).where(elements.c.value == cluster))
    return case((InquiryRow.status == "decided", chose), else_=false())


def _officer_chose_none() -> ColumnElement[bool]:
    empty = func.json_array_length(InquiryRow.officer_clusters) == 0
    return case((InquiryRow.status == "decided", empty), else_=false())


def filter_conditions(where: InquiryFilter | None, dialect: str) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``where`` on the ``inquiries`` table, for the database ``dialect``."""
    if where is None:
        return []
    out: list[ColumnElement[bool]] = []
    if where.status is not None:
        out.append(InquiryRow.status == where.status)
    if where.search:
        needle = where.search.lower()
        out.append(
            or_(
                _lower(InquiryRow.text, dialect).contains(needle, autoescape=True),
                _lower(InquiryRow.contact, dialect).contains(needle, autoescape=True),
            )
        )
    if where.cluster is not None:
        if where.cluster == NO_FIT:
            out.append(or_(func.json_array_length(InquiryRow.decision) == 0, _officer_chose_none()))
        else:
            out.append(or_(InquiryRow.decision[0].as_string() == where.cluster, _officer_chose(where.cluster, dialect)))
    if where.lang is not None:
        out.append(language() == where.lang)
    if where.created_from is not None:
        out.append(InquiryRow.created_at >= where.created_from)
    if where.created_to is not None:
        out.append(InquiryRow.created_at < where.created_to)
    return out


def week_start(dialect: str) -> ColumnElement[Any]:
    """The Monday (UTC) of the week an inquiry came in: a date on PostgreSQL, ``YYYY-MM-DD`` on SQLite."""
    if dialect == "postgresql":
        return cast(func.date_trunc("week", func.timezone("UTC", InquiryRow.created_at)), Date)
    return func.date(InquiryRow.created_at, "weekday 0", "-6 days")


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def week_counts(s: Session, *, since: datetime) -> list[tuple[date, int, int]]:
    """(Monday, inquiries, of them set aside for review) for each week with inquiries since ``since``."""
    dialect = s.get_bind().dialect.name
    week = week_start(dialect).label("week")
    review = func.sum(case((InquiryRow.needs_review == true(), 1), else_=0))
    rows = s.execute(
        select(week, func.count(), review).where(InquiryRow.created_at >= since).group_by(week).order_by(week)
    )
    return [(_day(w), int(n), int(r or 0)) for w, n, r in rows]


def cluster_counts(s: Session, *, since: datetime | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Inquiries per cluster: by the matcher's first cluster, and decided ones by the officer's first
    (both ``"none"`` for no cluster)."""
    window = [InquiryRow.created_at >= since] if since is not None else []
    first = matcher_first().label("cluster")
    by_matcher = s.execute(select(first, func.count()).where(*window).group_by(first))
    officer = officer_first().label("cluster")
    decided = and_(InquiryRow.status == "decided", *window)
    by_officer = s.execute(select(officer, func.count()).where(decided).group_by(officer))
    return {str(c): int(n) for c, n in by_matcher}, {str(c): int(n) for c, n in by_officer}


@dataclass(frozen=True, slots=True)
class DecidedInquiry:
    """What the matcher proposed for an inquiry and what the officer decided."""

    id: int
    lang: str
    decision: tuple[str, ...]
    officer_clusters: tuple[str, ...]
    ranking: tuple[tuple[str, float], ...]
    decided_at: datetime | None


def recent_decisions(s: Session, *, last: int) -> list[DecidedInquiry]:
    """The ``last`` inquiries an officer decided, the latest first."""
    rows = s.execute(
        select(
            InquiryRow.id,
            cast(language(), String).label("lang"),
            InquiryRow.decision,
            InquiryRow.officer_clusters,
            InquiryRow.ranking,
            InquiryRow.decided_at,
        )
        .where(InquiryRow.status == "decided")
        .order_by(InquiryRow.decided_at.desc(), InquiryRow.id.desc())
        .limit(last)
    )
    return [
        DecidedInquiry(
            id=i,
            lang=str(lang),
            decision=tuple(decision or ()),
            officer_clusters=tuple(officer or ()),
            ranking=tuple((str(r["cluster"]), float(r["score"])) for r in ranking or ()),
            decided_at=decided_at,
        )
        for i, lang, decision, officer, ranking, decided_at in rows
    ]
