"""Inquiries' opaque references: a database made before they existed gets them when a store opens it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from matcher.store import Base, InquiryRow, Store

OLD_INQUIRIES = """CREATE TABLE inquiries (
    id INTEGER NOT NULL PRIMARY KEY, text TEXT NOT NULL, lang VARCHAR(8) NOT NULL, contact TEXT,
    status VARCHAR(16) NOT NULL, decision JSON NOT NULL, ranking JSON NOT NULL, needs_review BOOLEAN NOT NULL,
    review_reason VARCHAR(200), provenance JSON NOT NULL, officer_clusters JSON, created_at DATETIME NOT NULL,
    decided_at DATETIME)"""


def test_an_older_database_gets_a_unique_ref_for_every_inquiry(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with sqlite3.connect(tmp_path / "old.db") as db:  # the inquiries table as it was before the column
        db.execute(OLD_INQUIRIES)
        columns = "text, lang, status, decision, ranking, needs_review, provenance, created_at"
        for text in ("a", "b"):
            db.execute(
                f"INSERT INTO inquiries ({columns}) VALUES (?, 'en', 'routed', '[]', '[]', 0, '{{}}', "
                "'2024-01-01 00:00:00.000000')",
                (text,),
            )
    engine = create_engine(url)
    Base.metadata.create_all(engine)  # the other tables; inquiries stays as it is
    engine.dispose()
    store = Store(url)
    Store(url).engine.dispose()  # a second start finds the column there
    refs = [row.ref for row in store.list_inquiries(limit=None)]
    assert len(refs) == 2 and all(len(r) >= 16 for r in refs) and refs[0] != refs[1]
    with store.session() as s:
        s.add(InquiryRow(**_fields(), ref=refs[0]))
        try:
            s.flush()
            raise AssertionError("a duplicate ref was stored")
        except Exception as exc:  # noqa: BLE001
            assert "unique" in str(exc).lower()
            s.rollback()
    store.engine.dispose()


def _fields() -> dict[str, object]:
    return {
        "text": "c",
        "lang": "en",
        "status": "routed",
        "decision": [],
        "ranking": [],
        "needs_review": False,
        "provenance": {},
    }
