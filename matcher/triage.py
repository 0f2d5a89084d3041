"""Reading profiles to route (JSONL, CSV or an Excel workbook), row by row, and checking an output
path; :mod:`matcher.triage_writer` writes the triage lines."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from matcher.text import is_blank, is_valid_unicode

# openpyxl and charset-normalizer are imported where a file needs them: every command imports this module.

FORMATS = (".jsonl", ".csv", ".xlsx")
_CSV_FIELD_LIMIT = 1 << 28


class InputError(ValueError):
    """The input as a whole cannot be read (unknown format, missing column, undecodable)."""


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based: the line in JSONL, the record after the header in CSV, the sheet's row in .xlsx
    id: str | None
    text: str | None
    error: str | None = None


def check_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: unknown format {suffix or '(none)'!r}; use .jsonl, .csv or .xlsx")
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
    if fmt == ".xlsx":
        yield from _read_xlsx(path)
        return
    if fmt == ".csv":
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        yield from _read_csv(io.StringIO(decode_csv(data, path), newline=""), path)
        return
    try:
        handle = path.open(encoding="utf-8-sig", newline="")  # JSON Lines is UTF-8; -sig: a BOM is let pass
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        try:
            yield from _read_jsonl(handle)
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text") from None


#: The encodings a CSV file may be in besides UTF-8, as charset-normalizer names them: Excel's
#: "Unicode text" (UTF-16, with or without a byte order mark) and the Polish 8-bit code pages.
CSV_ENCODINGS = {
    "utf_16": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_16_be": "UTF-16",
    "cp1250": "Windows-1250",
    "iso8859_2": "ISO-8859-2",
}
_POLISH_CODE_PAGES = ("cp1250", "iso8859_2")  # Windows-1250 first: it is Excel's, and wins a tie
_POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")


def decode_csv(data: bytes, path: Path) -> str:
    """The text of a CSV file: UTF-8 (with or without Excel's BOM) when it is that, else what
    charset-normalizer finds among :data:`CSV_ENCODINGS`; if none fits, an :class:`InputError`
    that names the encodings tried.

    The two Polish code pages hold the same letters at different bytes (ą is B9 in one, B1 in
    the other), which charset-normalizer does not tell apart in a short file: of the two, the
    reading with more Polish letters is taken (on the labelled profiles, one to twenty a file,
    every file in either code page was read right; the library alone misread short ones).
    """
    import charset_normalizer

    with contextlib.suppress(UnicodeDecodeError):
        text = data.decode("utf-8-sig")
        if "\x00" not in text:  # NUL bytes in valid UTF-8: UTF-16 without a byte order mark
            return text
    best = charset_normalizer.from_bytes(data, cp_isolation=list(CSV_ENCODINGS)).best()
    if best is not None and best.encoding in _POLISH_CODE_PAGES:
        readings = []
        for encoding in _POLISH_CODE_PAGES:
            with contextlib.suppress(UnicodeDecodeError):
                readings.append(data.decode(encoding))
        if readings:
            return max(readings, key=lambda text: sum(c in _POLISH_LETTERS for c in text))  # first on a tie
    elif best is not None:
        with contextlib.suppress(UnicodeDecodeError):  # detection reads samples; the whole must decode too
            return str(best)
    tried = ", ".join(dict.fromkeys(["UTF-8", *CSV_ENCODINGS.values()]))
    raise InputError(
        f"{path}: cannot tell the text's encoding (tried {tried}); in Excel, save it as 'CSV UTF-8' or as .xlsx"
    )


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
        raise _missing_columns(path, names, "separated by commas, semicolons or tabs")
    names = readings[delimiter]
    reader = csv.DictReader(handle, fieldnames=names, delimiter=delimiter)
    for number, rec in enumerate(reader, 1):
        yield _validate(number, rec.get("id"), rec.get("text"))


def _missing_columns(path: Path, names: Sequence[str], where: str) -> InputError:
    missing = ", ".join(repr(c) for c in ("id", "text") if c not in names)
    found = ", ".join(repr(n) for n in names if n) or "none"
    return InputError(f"{path}: missing column {missing} (need 'id' and 'text', {where}; found: {found})")


def _read_xlsx(path: Path) -> Iterator[Row]:
    """Rows of the first sheet of a workbook whose first row names ``id`` and ``text`` (in any
    case); a row's number is the sheet's own, as Excel shows it, and empty rows are passed over."""
    values = _sheet_values(path)
    names = [str(v).strip().lower() if v is not None else "" for v in (values[0] if values else ())]
    if not {"id", "text"} <= set(names):
        raise _missing_columns(path, names, "in the first row of the first sheet")
    at_id, at_text = names.index("id"), names.index("text")
    for number, cells in enumerate(values[1:], 2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        yield _validate(number, _cell(cells, at_id), _cell(cells, at_text))


def _sheet_values(path: Path) -> list[tuple[Any, ...]]:
    """Every row of the first sheet as cell values (those of the last calculation for formulas)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on styles or extensions it drops: not ours
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                sheet.reset_dimensions()  # read every row there is, whatever size the file declares
                return [tuple(row) for row in sheet.iter_rows(values_only=True)]
            finally:
                book.close()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (KeyError, ValueError, SyntaxError, IndexError, zipfile.BadZipFile, InvalidFileException) as exc:
        said = str(exc).strip()
        reason = said.splitlines()[0] if said else type(exc).__name__
        raise InputError(
            f"{path}: cannot be read as an Excel workbook ({reason}); save it from Excel as .xlsx, without a password"
        ) from None


def _cell(cells: tuple[Any, ...], index: int) -> Any:
    """A cell's value as a row field: a whole number (Excel keeps numbers as floats) without '.0'."""
    value = cells[index] if index < len(cells) else None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
