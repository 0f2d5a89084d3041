"""Writing triage lines, row by row: JSONL, CSV, or a spreadsheet (an Excel workbook, or CSV for Excel)."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from matcher.triage import InputError, check_format

if TYPE_CHECKING:  # openpyxl is imported where a workbook is written: a JSONL or CSV output needs none of it
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from matcher.catalogue import Catalogue


#: The columns of a CSV triage output; review_reason came later than the rest, so it goes last and
#: no column's place has changed.
CSV_COLUMNS = ("id", "decision", "needs_review", "top_cluster", "top_score", "ranking", "review_reason")

#: The columns of a spreadsheet output (.xlsx, or CSV for Excel): one value a cell, clusters by name.
FLAT_COLUMNS = (
    "id",
    "text",
    "decision",
    "best_score",
    "needs_review",
    "review_reason",
    *(f"{name}_{i}" for i in (1, 2, 3) for name in ("cluster", "score")),
)
#: How much of a profile's text a spreadsheet output shows (the input has all of it).
TEXT_CHARS = 200
_EXCEL_CELL_CHARS = 32_767
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TriageWriter:
    """Writes triage lines as JSONL; as CSV with the ranking kept as a JSON column; or, for
    spreadsheets, as an Excel workbook (.xlsx) or, with ``excel``, as CSV for Excel in a Polish
    locale (UTF-8 with a BOM, semicolons, decimal commas), both in :data:`FLAT_COLUMNS`.

    A spreadsheet names clusters by the ``catalogue``'s names, in the language :meth:`write` is
    given, else English (by id without a catalogue). The lines go to a hidden file of this
    writer's own beside ``path``, which replaces ``path`` only when the writer closes without an
    error: an interrupted run leaves an earlier output as it was, and two runs writing the same
    output at once each leave a whole one (the last to finish wins).
    """

    def __init__(self, path: str | Path, *, catalogue: Catalogue | None = None, excel: bool = False) -> None:
        self.path = Path(path)
        self.format = check_format(self.path)
        self.catalogue = catalogue
        self.excel = excel
        if excel and self.format == ".jsonl":
            raise InputError(f"{self.path}: a JSONL output has no Excel layout; name a .csv or .xlsx file")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, partial = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot be written ({exc.strerror or exc})") from None
        self._partial = Path(partial)
        os.chmod(self._partial, 0o666 & ~_umask())  # mkstemp's 0600 would make the output private
        self._handle: TextIO | None = None
        self._csv: Any = None
        self._sheet: WriteOnlyWorksheet | None = None
        if self.format == ".xlsx":
            import openpyxl

            os.close(fd)  # openpyxl writes the file itself, on close
            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet("triage")
            self._sheet.freeze_panes = "A2"
            self._sheet.append(FLAT_COLUMNS)
        elif self.format == ".csv" and excel:
            self._handle = open(fd, "w", encoding="utf-8-sig", newline="")  # the BOM tells Excel it is UTF-8
            self._csv = csv.writer(self._handle, delimiter=";")
            self._csv.writerow(FLAT_COLUMNS)
        else:
            self._handle = open(fd, "w", encoding="utf-8", newline="")
            if self.format == ".csv":
                self._csv = csv.writer(self._handle)
                self._csv.writerow(CSV_COLUMNS)

    def write(self, line: dict[str, Any], *, text: str = "", lang: str = "en") -> None:
        """Write one triage line; a spreadsheet also shows the profile's ``text`` (its start) and
        names the clusters in its ``lang``."""
        if self._sheet is not None:
            self._sheet.append([xlsx_cell(self._sheet, v) for v in self._flat(line, text, lang)])
        elif self.excel:
            self._csv.writerow([excel_csv_field(v) for v in self._flat(line, text, lang)])
        elif self._csv is not None:
            top = line["ranking"][0]
            self._csv.writerow(
                [
                    line["id"],
                    ";".join(line["decision"]),
                    str(line["needs_review"]).lower(),
                    top["cluster"],
                    top["score"],
                    json.dumps(line["ranking"]),
                    line["review_reason"] or "",
                ]
            )
        else:
            assert self._handle is not None
            self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def _flat(self, line: dict[str, Any], text: str, lang: str) -> list[Any]:
        """The values of :data:`FLAT_COLUMNS` for one line."""
        ranking = line["ranking"]
        top3 = [value for item in ranking[:3] for value in (self._name(item["cluster"], lang), item["score"])]
        shown = text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"
        return [
            line["id"],
            shown,
            "; ".join(self._name(c, lang) for c in line["decision"]) or None,  # empty: no cluster fits
            ranking[0]["score"] if ranking else None,
            line["needs_review"],
            line["review_reason"] or None,
            *top3,
            *[None] * (6 - len(top3)),
        ]

    def _name(self, cluster_id: str, lang: str) -> str:
        if self.catalogue is None or cluster_id not in self.catalogue:
            return cluster_id
        return self.catalogue.get(cluster_id).label(lang)

    def close(self) -> None:
        """Finish: the written lines become ``path``."""
        try:
            if self._sheet is not None:
                self._sheet = None  # saving closes it, and a sheet closes once
                self._book.save(self._partial)
            elif self._handle is not None:
                self._handle.close()
            os.replace(self._partial, self.path)
        except OSError as exc:  # on Windows, for one: the output is open in Excel
            self.discard()
            raise InputError(f"{self.path}: cannot be written ({exc.strerror or exc}); is it open elsewhere?") from None

    def discard(self) -> None:
        """Give up: ``path`` stays as it was."""
        if self._sheet is not None:
            self._sheet.close()  # openpyxl's own file of rows goes when the process ends
        if self._handle is not None:
            self._handle.close()
        with contextlib.suppress(FileNotFoundError):
            self._partial.unlink()

    def __enter__(self) -> TriageWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask. Reading it means setting it, and setting it straight back: under a lock,
    or two writers opening at once could leave the stand-in value in place."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A cell for ``value``: text stays text even when it starts with '=' (openpyxl would make it a
    formula), without the control characters a workbook cannot hold."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value)[:_EXCEL_CELL_CHARS])
    cell.data_type = "s"
    return cell


def excel_csv_field(value: Any) -> str:
    """A field of a CSV for Excel in a Polish locale: decimal commas, and a text that Excel would
    take for a formula ('=', '+', '-', '@' first) marked as text by a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").removesuffix(".").replace(".", ",")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
