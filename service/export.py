"""The office's export of inquiries (``GET /v1/inquiries/export``): an Excel workbook, or CSV for Excel
in a Polish locale (UTF-8 with a BOM, ``;`` between columns, decimal commas), one value a cell.

Clusters are named in the language asked for (English by default), and so is the explanation of
the best cluster; times are UTC. A text that Excel would take for a formula stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from matcher.catalogue import Catalogue
from matcher.store import InquiryRow
from matcher.store_queries import inquiry_language
from matcher.triage_writer import excel_csv_field, xlsx_cell
from service.stats import agrees

#: The export's columns, in order.
COLUMNS = (
    "id",
    "received_utc",
    "language",
    "status",
    "contact",
    "text",
    "decision",
    "best_score",
    "needs_review",
    "review_reason",
    *(f"{name}_{i}" for i in (1, 2, 3) for name in ("cluster", "score")),
    "explanation",
    "officer_decision",
    "decided_utc",
    "officer_agrees",
)
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: "No cluster fits", in a decision.
NONE_FITS = {"en": "no cluster fits", "pl": "żaden klaster nie pasuje"}


class _Names:
    """Cluster names in one language, from the catalogue (by id for a cluster it no longer has)."""

    def __init__(self, catalogue: Catalogue | None, lang: str) -> None:
        self.catalogue = catalogue
        self.lang = lang

    def __call__(self, cluster_id: str) -> str:
        if self.catalogue is None or cluster_id not in self.catalogue:
            return cluster_id
        return self.catalogue.get(cluster_id).label(self.lang)

    def decision(self, clusters: Sequence[str]) -> str:
        return "; ".join(self(c) for c in clusters) or NONE_FITS.get(self.lang, NONE_FITS["en"])


def _utc(moment: datetime | None) -> datetime | None:
    """A time as Excel takes it: UTC, without a zone, to the second."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def row_values(row: InquiryRow, names: _Names) -> list[Any]:
    """The values of :data:`COLUMNS` for one inquiry."""
    ranking = row.ranking or []
    top3 = [value for item in ranking[:3] for value in (names(item["cluster"]), float(item["score"]))]
    summary = (ranking[0].get("summary") or {}) if ranking else {}
    decided = row.status == "decided" and row.officer_clusters is not None
    officer = list(row.officer_clusters or []) if decided else []
    return [
        row.id,
        _utc(row.created_at),
        inquiry_language(row),
        row.status,
        row.contact,
        row.text,
        names.decision(row.decision),
        float(ranking[0]["score"]) if ranking else None,
        row.needs_review,
        row.review_reason,
        *top3,
        *[None] * (6 - len(top3)),
        summary.get(names.lang) or summary.get("en"),
        names.decision(officer) if decided else None,
        _utc(row.decided_at) if decided else None,
        agrees(row.decision, officer) if decided else None,
    ]


def _csv_field(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return excel_csv_field(value)


def to_csv(rows: Iterable[InquiryRow], names: _Names) -> bytes:
    """CSV for Excel in a Polish locale: UTF-8 with a BOM, semicolons, decimal commas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_field(v) for v in row_values(row, names)])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Iterable[InquiryRow], names: _Names) -> bytes:
    """An Excel workbook with one sheet, ``inquiries``, its header row frozen."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("inquiries")
    sheet.freeze_panes = "A2"
    sheet.append(COLUMNS)
    for row in rows:
        cells = []
        for value in row_values(row, names):
            if isinstance(value, datetime):
                cell = WriteOnlyCell(sheet, value)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                cells.append(cell)
            else:
                cells.append(xlsx_cell(sheet, value))
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export(rows: Iterable[InquiryRow], fmt: str, *, catalogue: Catalogue | None, lang: str = "en") -> bytes:
    """``rows`` as a file of format ``fmt`` (``csv`` or ``xlsx``), clusters named in ``lang``."""
    names = _Names(catalogue, lang)
    return to_xlsx(rows, names) if fmt == "xlsx" else to_csv(rows, names)


def filename(fmt: str, now: datetime | None = None) -> str:
    """``inquiries-YYYYMMDD-HHMM.csv``: the moment of the export (UTC)."""
    return f"inquiries-{(now or datetime.now(UTC)):%Y%m%d-%H%M}.{fmt}"
