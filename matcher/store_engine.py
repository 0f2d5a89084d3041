"""Opening the store's database: the engine (SQLite's pragmas and WAL), the schema and its upgrades."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, inspect, select, update
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError

from matcher.store_queries import register_sqlite_functions
from matcher.store_rows import (
    Base,
    InquiryRow,
    new_ref,
)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and full fsync on commit."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if is_sqlite else {}, pool_pre_ping=not is_sqlite)
    if is_sqlite:

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _: Any) -> None:
            cur = dbapi_conn.cursor()
            use_wal(cur)
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged commit survives a crash
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
            register_sqlite_functions(dbapi_conn)  # what the office's queries call (matcher.store_queries)

    return engine


def use_wal(cur: Any, patience: float = 30.0) -> None:
    """Switch a SQLite file to WAL (a setting the file keeps). The switch needs the file to itself,
    and SQLite answers "database is locked" at once, without waiting out the busy timeout, when
    workers opening a new file together would otherwise deadlock; so wait and try again here."""
    deadline = time.monotonic() + patience
    delay = 0.01
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def display_url(url: str) -> str:
    """A database URL fit for a message: its password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def create_schema(engine: Engine) -> None:
    """Create the missing tables. Workers starting on a new database race here: a CREATE fails
    when another process made that table first, so each failure is progress and a few tries settle it."""
    tables = Base.metadata.sorted_tables
    tries = len(tables) + sum(len(t.indexes) for t in tables) + 1
    for attempt in range(tries):
        try:
            Base.metadata.create_all(engine)
            break
        except DatabaseError as exc:
            if attempt == tries - 1 or not made_meanwhile(exc):
                raise
    _add_inquiry_refs(engine)


def _add_inquiry_refs(engine: Engine) -> None:
    """Give a database made before inquiries had a ``ref`` that column: added, filled with a fresh
    reference for each existing inquiry, and made unique. Only when it is missing; a worker that
    loses the race to add it finds it added (create_all makes it, unique, in a new database)."""
    if "ref" in {c["name"] for c in inspect(engine).get_columns(InquiryRow.__tablename__)}:
        return
    try:
        with engine.begin() as conn:
            conn.execute(sql("ALTER TABLE inquiries ADD COLUMN ref VARCHAR(32)"))
    except DatabaseError as exc:
        if "duplicate column" not in str(exc.orig).lower() and not made_meanwhile(exc):
            raise
    with engine.begin() as conn:
        missing = conn.execute(select(InquiryRow.id).where(InquiryRow.ref.is_(None))).scalars().all()
        for inquiry_id in missing:
            conn.execute(
                update(InquiryRow).where(InquiryRow.id == inquiry_id, InquiryRow.ref.is_(None)).values(ref=new_ref())
            )
        conn.execute(sql("CREATE UNIQUE INDEX IF NOT EXISTS uq_inquiries_ref ON inquiries (ref)"))


def made_meanwhile(exc: DatabaseError) -> bool:
    """Whether a CREATE failed because another process made the object (SQLite, PostgreSQL)."""
    message = str(exc.orig).lower()
    return "already exists" in message or "duplicate key" in message
