"""Reading profiles to route (JSONL or CSV) and writing triage lines, row by row."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from matcher.text import is_blank, is_valid_unicode

FORMATS = (".jsonl", ".csv")
_CSV_FIELD_LIMIT = 1 << 28


class InputError(ValueError):
    """The input as a whole cannot be read (unknown format, missing column, undecodable)."""


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based data row (line in JSONL; record after the header in CSV)
    id: str | None
    text: str | None
    error: str | None = None


def check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown format {suffix or '(none)'!r}; use .jsonl or .csv")
    return suffix


def check_output(output: Path, input: Path) -> None:
    """Refuse, before any work, an output that cannot be written or would overwrite the input."""
    if output.is_dir():  # before its (missing) suffix: "is a directory" says what is wrong
        raise InputError(f"{output}: is a directory; give a file name")
    check_format(output)
    if output.resolve() == input.resolve():
        raise InputError(f"{output}: the output would overwrite the input; choose another file")
    check_writable(output)


def check_writable(path: Path) -> None:
    """Refuse a file path that is a folder or whose folder cannot be made or written in."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: its folder cannot be created ({exc.strerror or exc})") from None
    try:
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise InputError(f"{path}: its folder cannot be written in ({exc.strerror or exc})") from None


def read_rows(path: str | Path) -> Iterator[Row]:
    """Yield every row; a bad row carries an ``error`` and the rows after it still come."""
    path = Path(path)
    fmt = check_format(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")  # -sig: Excel writes a BOM
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        try:
            yield from (_read_jsonl(handle) if fmt == ".jsonl" else _read_csv(handle, path))
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None


def _validate(number: int, raw_id: Any, text: Any) -> Row:
    if isinstance(raw_id, dict | list | bool):
        return Row(number, None, None, "'id' must be a string or a number")
    pid = None if raw_id is None or raw_id == "" else str(raw_id)
    if pid is None:
        return Row(number, None, None, "missing 'id'")
    if not is_valid_unicode(pid):
        return Row(number, None, None, "'id' is not valid Unicode (a lone surrogate)")
    if text is not None and not isinstance(text, str):
        return Row(number, pid, None, "'text' must be a string")
    if not text or is_blank(text):
        return Row(number, pid, None, "empty or missing 'text'")
    if not is_valid_unicode(text):
        return Row(number, pid, None, "'text' is not valid Unicode (a lone surrogate)")
    return Row(number, pid, text)


def _read_jsonl(handle: TextIO) -> Iterator[Row]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(number, None, None, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield Row(number, None, None, "expected a JSON object")
            continue
        yield _validate(number, obj.get("id"), obj.get("text"))


#: Column separators a CSV file may use: Excel in a Polish (or German...) locale writes semicolons.
_DELIMITERS = (",", ";", "\t")


def _read_csv(handle: TextIO, path: Path) -> Iterator[Row]:
    """Rows of a CSV file whose header names ``id`` and ``text`` (in any case), separated by
    commas, semicolons or tabs: whichever makes the header name both."""
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))  # a page of text may pass 128 KiB
    header = handle.readline()
    readings = {d: [n.strip().lower() for n in next(csv.reader([header], delimiter=d), [])] for d in _DELIMITERS}
    delimiter = next((d for d, names in readings.items() if {"id", "text"} <= set(names)), None)
    if delimiter is None:
        names = max(readings.values(), key=len)  # the reading that found the most columns
        missing = ", ".join(repr(c) for c in ("id", "text") if c not in names)
        found = ", ".join(repr(n) for n in names if n) or "none"
        raise InputError(
            f"{path}: missing column {missing} (need 'id' and 'text', separated by commas, semicolons"
            f" or tabs; found: {found})"
        )
    names = readings[delimiter]
    reader = csv.DictReader(handle, fieldnames=names, delimiter=delimiter)
    for number, rec in enumerate(reader, 1):
        yield _validate(number, rec.get("id"), rec.get("text"))


def repeated_ids(rows: Iterable[Row]) -> list[tuple[int, int]]:
    """(row number, number of the first row with that id) for each row whose id came before."""
    first: dict[str | None, int] = {}
    repeats = []
    for row in rows:
        if row.id in first:
            repeats.append((row.number, first[row.id]))
        else:
            first[row.id] = row.number
    return repeats


#: The columns of a CSV triage output; review_reason came later than the rest, so it goes last and
#: no column's place has changed.
CSV_COLUMNS = ("id", "decision", "needs_review", "top_cluster", "top_score", "ranking", "review_reason")


class TriageWriter:
    """Writes triage lines as JSONL, or as CSV with the ranking kept as a JSON column.

    The lines go to a hidden file beside ``path`` that replaces it only when the writer closes
    without an error: an interrupted run leaves an earlier output as it was.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.format = check_format(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = self.path.with_name(f".{self.path.name}.partial")
        try:
            self._handle = self._partial.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot be written ({exc.strerror or exc})") from None
        self._csv: Any = None
        if self.format == ".csv":
            self._csv = csv.writer(self._handle)
            self._csv.writerow(CSV_COLUMNS)

    def write(self, line: dict[str, Any]) -> None:
        if self._csv is None:
            self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        else:
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

    def close(self) -> None:
        """Finish: the written lines become ``path``."""
        self._handle.close()
        os.replace(self._partial, self.path)

    def discard(self) -> None:
        """Give up: ``path`` stays as it was."""
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
