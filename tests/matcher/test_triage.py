"""Tests for matcher/triage.py: reading JSONL/CSV/.xlsx row by row, and checking an output path."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from matcher.triage import InputError, Row, check_writable, read_rows

# -- reading JSONL -----------------------------------------------------------------------------


def test_jsonl_rows_with_errors_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "p1", "text": "We build ships."}),
        '{"id": "p2", "text": "broken',
        "[1, 2, 3]",
        json.dumps({"text": "no id here"}),
        json.dumps({"id": "p5", "text": " \u200b "}),
        "",
        json.dumps({"id": 6, "text": "Budujemy drogi."}),
        json.dumps({"id": "p7"}),
        json.dumps({"id": "", "text": "empty id"}),
        json.dumps({"id": "p9", "text": "Zdrowa żywność, po polsku."}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(read_rows(path))
    assert [(r.number, r.id, r.error is None) for r in rows] == [
        (1, "p1", True),
        (2, None, False),
        (3, None, False),
        (4, None, False),
        (5, "p5", False),
        (7, "6", True),
        (8, "p7", False),
        (9, None, False),
        (10, "p9", True),
    ]
    by_number = {r.number: r for r in rows}
    assert by_number[1] == Row(1, "p1", "We build ships.")
    assert by_number[2].error is not None and "not valid JSON" in by_number[2].error
    assert by_number[3].error == "expected a JSON object"
    assert by_number[4].error == "missing 'id'"
    assert by_number[5].error is not None and "'text'" in by_number[5].error
    assert by_number[5].text is None
    assert by_number[8].error is not None and "'text'" in by_number[8].error
    assert by_number[10].text == "Zdrowa żywność, po polsku."


def test_an_id_or_text_of_the_wrong_kind_says_so(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [{"id": {"a": 1}, "text": "x"}, {"id": True, "text": "x"}, {"id": "p3", "text": 42}, {"id": 7, "text": "ok"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    got = [(r.id, r.error) for r in read_rows(path)]
    assert got == [
        (None, "'id' must be a string or a number"),
        (None, "'id' must be a string or a number"),
        ("p3", "'text' must be a string"),
        ("7", None),
    ]


def test_a_text_of_nul_characters_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "\x00\x00"}) + "\n", encoding="utf-8")
    assert list(read_rows(path)) == [Row(1, "a", None, "empty or missing 'text'")]


def test_jsonl_good_rows_after_a_bad_first_line_still_come(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("not json at all\n" + json.dumps({"id": "a", "text": "fine"}) + "\n", encoding="utf-8")
    bad, good = read_rows(path)
    assert bad.number == 1 and bad.error is not None
    assert good == Row(2, "a", "fine")


def test_jsonl_uppercase_extension(tmp_path: Path) -> None:
    path = tmp_path / "IN.JSONL"
    path.write_text(json.dumps({"id": "a", "text": "fine"}) + "\n", encoding="utf-8")
    assert list(read_rows(path)) == [Row(1, "a", "fine")]


def test_empty_jsonl_file_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("", encoding="utf-8")
    assert list(read_rows(path)) == []


# -- reading CSV -------------------------------------------------------------------------------


def test_csv_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        'id,text,extra\np1,"We build ships, and repair them.",x\np2,,y\n,orphan text,z\np4,"Line one\nline two",w\n',
        encoding="utf-8",
    )
    rows = list(read_rows(path))
    assert [(r.number, r.id, r.error is None) for r in rows] == [
        (1, "p1", True),
        (2, "p2", False),
        (3, None, False),
        (4, "p4", True),
    ]
    assert rows[0].text == "We build ships, and repair them."
    assert rows[1].error is not None and "'text'" in rows[1].error
    assert rows[2].error == "missing 'id'"
    assert rows[3].text == "Line one\nline two"  # a quoted newline stays in its record


@pytest.mark.parametrize(
    ("header", "separator"),
    [("id;text", ";"), ("ID,Text", ","), ("Id\tTEXT", "\t"), (" id ; text ;notes", ";")],
)
def test_csv_from_excel_in_any_locale_and_case(tmp_path: Path, header: str, separator: str) -> None:
    """Excel in a Polish locale saves semicolons; people write headers in capitals."""
    path = tmp_path / "in.csv"
    body = separator.join(["p1", '"Budujemy statki; naprawiamy je"'])
    path.write_text(f"{header}\n{body}\n", encoding="utf-8-sig")
    (row,) = read_rows(path)
    assert (row.id, row.text, row.error) == ("p1", "Budujemy statki; naprawiamy je", None)


@pytest.mark.parametrize(("header", "missing"), [("id,body", "'text'"), ("name,text", "'id'"), ("x", "'id', 'text'")])
def test_csv_missing_column_names_it(tmp_path: Path, header: str, missing: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"{header}\nsomething\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column") as info:
        list(read_rows(path))
    assert missing in str(info.value)
    assert str(path) in str(info.value)


def test_empty_csv_file_names_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        list(read_rows(path))


# -- unreadable input --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["in.txt", "in.json", "in"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text('{"id": "a", "text": "b"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="unknown format"):
        list(read_rows(path))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.jsonl"
    with pytest.raises(InputError, match="cannot be read") as info:
        list(read_rows(path))
    assert str(path) in str(info.value)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "folder.csv"
    path.mkdir()
    with pytest.raises(InputError, match="cannot be read"):
        list(read_rows(path))


def test_non_utf8_jsonl(tmp_path: Path) -> None:
    """JSON Lines is UTF-8; a CSV file in another encoding is read (below)."""
    path = tmp_path / "latin2.jsonl"
    path.write_bytes('{"id": "a", "text": "Łódź"}\n'.encode("iso-8859-2"))
    with pytest.raises(InputError, match="not UTF-8") as info:
        list(read_rows(path))
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("suffix", "body"),
    [(".csv", "id,text\np1,Stocznia\n"), (".jsonl", '{"id": "p1", "text": "Stocznia"}\n')],
    ids=["csv", "jsonl"],
)
def test_utf8_with_byte_order_mark(tmp_path: Path, suffix: str, body: str) -> None:
    path = tmp_path / f"excel{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    assert list(read_rows(path)) == [Row(1, "p1", "Stocznia")]


# -- CSV in the encodings of Excel, and workbooks ----------------------------------------------

POLISH_ROWS = [
    ("łódź-1", "Zażółć gęślą jaźń: stocznia remontowa w Gdańsku"),
    ("ŚĆ-2", "Źródła ciepła, pompy i kotły; śruby okrętowe, łożyska"),
    ("3", "Ąę óż, serwis chłodni w Żukowie"),
]


def _csv_bytes(rows: list[tuple[str, str]], encoding: str, delimiter: str = ";") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["ID", "Text"])
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["cp1250", "iso8859_2"])
def test_csv_in_a_polish_code_page_keeps_its_letters(tmp_path: Path, encoding: str) -> None:
    """Excel's "CSV (semicolon separated)" on a Polish Windows is Windows-1250; older tools write ISO-8859-2."""
    path = tmp_path / "in.csv"
    path.write_bytes(_csv_bytes(POLISH_ROWS, encoding))
    assert [(r.id, r.text, r.error) for r in read_rows(path)] == [(i, t, None) for i, t in POLISH_ROWS]


@pytest.mark.parametrize("encoding", ["cp1250", "iso8859_2"])
def test_one_short_row_in_a_polish_code_page(tmp_path: Path, encoding: str) -> None:
    """The two code pages put ą, ś, ź at different bytes: one word is enough to tell them apart."""
    path = tmp_path / "in.csv"
    path.write_bytes("id,text\nłódź,Łódź\n".encode(encoding))
    assert list(read_rows(path)) == [Row(1, "łódź", "Łódź")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])  # utf-16: with a byte order mark
def test_utf16_csv_as_excel_saves_unicode_text(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(_csv_bytes(POLISH_ROWS, encoding, delimiter="\t"))  # Excel's "Unicode text" has tabs
    assert [(r.id, r.text, r.error) for r in read_rows(path)] == [(i, t, None) for i, t in POLISH_ROWS]


def test_a_csv_in_no_encoding_tried_says_which_were_tried(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)  # an .xls renamed .csv
    with pytest.raises(InputError, match="cannot tell the text's encoding") as info:
        list(read_rows(path))
    message = str(info.value)
    assert "UTF-8, UTF-16, Windows-1250, ISO-8859-2" in message and "CSV UTF-8" in message
    assert str(path) in message and "\n" not in message


def _workbook(path: Path, *sheets: Sequence[Sequence[object]]) -> Path:
    book = Workbook()
    book.remove(book.worksheets[0])
    for i, rows in enumerate(sheets):
        sheet = book.create_sheet(f"Arkusz{i + 1}")
        for row in rows:
            sheet.append(row)
    book.active = len(sheets) - 1  # the last sheet is the one open: the first is read all the same
    book.save(path)
    return path


def test_xlsx_rows_of_the_first_sheet_numbered_as_excel_shows_them(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Nr", "ID", "Text"],
        [1, "łódź-1", "Zażółć gęślą jaźń"],
        [2, 42, "Stocznia w Gdyni"],
        [],
        [4, 7.0, None],
        [5, None, "bez identyfikatora"],
        [6, "p6", "  "],
    ]
    path = _workbook(tmp_path / "in.xlsx", rows, [["id", "text"], ["other", "Another sheet"]])
    got = [(r.number, r.id, r.text, r.error) for r in read_rows(path)]
    assert got == [
        (2, "łódź-1", "Zażółć gęślą jaźń", None),
        (3, "42", "Stocznia w Gdyni", None),  # a number: Excel keeps 42, not "42"
        (5, "7", None, "empty or missing 'text'"),  # 7.0 is the id 7
        (6, None, None, "missing 'id'"),
        (7, "p6", None, "empty or missing 'text'"),
    ]


def test_xlsx_missing_column_names_it(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "in.xlsx", [["Name", "Text"], ["a", "Stocznia"]])
    with pytest.raises(InputError, match="missing column 'id'") as info:
        list(read_rows(path))
    assert "first row of the first sheet" in str(info.value) and "'name'" in str(info.value)


def test_an_empty_workbook_names_the_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column 'id', 'text'"):
        list(read_rows(_workbook(tmp_path / "in.xlsx", [])))


@pytest.mark.parametrize("content", [b"", b"id,text\na,b\n", b"PK\x03\x04 not really a zip"])
def test_a_file_that_is_no_workbook_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "in.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match="cannot be read as an Excel workbook") as info:
        list(read_rows(path))
    assert "\n" not in str(info.value)


def test_a_csv_field_longer_than_the_csv_module_default_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    text = "Stocznia remontowa. " * 12_000  # 240,000 characters; csv's default limit is 131,072
    path.write_text(f'id,text\np1,"{text}"\n', encoding="utf-8")
    (row,) = read_rows(path)
    assert row.error is None and row.text == text


def test_a_folder_that_cannot_be_written_in_is_refused() -> None:
    with pytest.raises(InputError, match="cannot be written in"):
        check_writable(Path("/proc/routed.jsonl"))
