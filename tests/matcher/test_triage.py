"""Tests for matcher/triage.py: reading JSONL/CSV row by row, and writing triage lines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from matcher.serialize import triage_line
from matcher.triage import InputError, Row, TriageWriter, check_writable, read_rows
from matcher.types import Match, MatchResult


def _result(decision: tuple[str, ...] = ("maritime",), needs_review: bool = False) -> MatchResult:
    ranking = (
        Match(cluster="maritime", label="Polish Maritime Cluster", score=0.93),
        Match(cluster="energy", label="Baltic Eco-Energy Cluster", score=0.41),
        Match(cluster="ict", label="Interizon", score=0.05),
    )
    reason = "no cluster fits well enough" if needs_review else None
    return MatchResult(
        text="Stocznia remontowa",
        lang="pl",
        ranking=ranking,
        decision=decision,
        needs_review=needs_review,
        review_reason=reason,
    )


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


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_non_utf8_input(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"latin2{suffix}"
    body = '{"id": "a", "text": "Łódź"}\n' if suffix == ".jsonl" else "id,text\na,Łódź\n"
    path.write_bytes(body.encode("iso-8859-2"))
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


# -- writing -----------------------------------------------------------------------------------


def test_triage_line_shape() -> None:
    line = triage_line("p0042", _result(("maritime", "energy")))
    assert line == {
        "id": "p0042",
        "decision": ["maritime", "energy"],
        "needs_review": False,
        "review_reason": None,
        "ranking": [
            {"cluster": "maritime", "score": 0.93},
            {"cluster": "energy", "score": 0.41},
            {"cluster": "ict", "score": 0.05},
        ],
    }


def test_writer_jsonl_lines_in_the_design_shape(tmp_path: Path) -> None:
    path = tmp_path / "out" / "triage.jsonl"
    lines = [triage_line("p1", _result()), triage_line("pł2", _result((), needs_review=True))]
    with TriageWriter(path) as writer:
        for line in lines:
            writer.write(line)
    text = path.read_text(encoding="utf-8")
    assert "pł2" in text  # written as UTF-8, not escaped
    got = [json.loads(raw) for raw in text.splitlines()]
    assert got == lines
    for obj in got:
        assert list(obj) == ["id", "decision", "needs_review", "review_reason", "ranking"]
        assert all(list(item) == ["cluster", "score"] for item in obj["ranking"])
    assert got[1]["decision"] == [] and got[1]["needs_review"] is True
    assert got[1]["review_reason"] == "no cluster fits well enough"


def test_writer_csv_with_header(tmp_path: Path) -> None:
    path = tmp_path / "triage.csv"
    with TriageWriter(path) as writer:
        writer.write(triage_line("p1", _result(("maritime", "energy"))))
        writer.write(triage_line("p2", _result((), needs_review=True)))
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    assert records[0] == ["id", "decision", "needs_review", "top_cluster", "top_score", "ranking", "review_reason"]
    assert records[1][:5] == ["p1", "maritime;energy", "false", "maritime", "0.93"]
    assert json.loads(records[1][5]) == triage_line("p1", _result())["ranking"]
    assert records[1][6] == ""
    assert records[2][:3] == ["p2", "", "true"]
    assert records[2][6] == "no cluster fits well enough"
    assert len(records) == 3


def test_an_interrupted_writer_leaves_the_earlier_output(tmp_path: Path) -> None:
    path = tmp_path / "triage.jsonl"
    path.write_text("earlier results\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), TriageWriter(path) as writer:
        writer.write(triage_line("p1", _result()))
        raise KeyboardInterrupt
    assert path.read_text(encoding="utf-8") == "earlier results\n"
    assert [p.name for p in tmp_path.iterdir()] == ["triage.jsonl"]


def test_a_csv_field_longer_than_the_csv_module_default_is_read(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    text = "Stocznia remontowa. " * 12_000  # 240,000 characters; csv's default limit is 131,072
    path.write_text(f'id,text\np1,"{text}"\n', encoding="utf-8")
    (row,) = read_rows(path)
    assert row.error is None and row.text == text


def test_a_folder_that_cannot_be_written_in_is_refused() -> None:
    with pytest.raises(InputError, match="cannot be written in"):
        check_writable(Path("/proc/routed.jsonl"))


def test_writer_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown format"):
        TriageWriter(tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_triage_line_from_a_real_result(small_matcher, catalogue) -> None:
    result = small_matcher.match("Projektujemy instalacje chłodnicze dla przemysłu spożywczego", explain=False)
    line = triage_line("p1", result)
    json.dumps(line)  # plain JSON types only
    ranking = line["ranking"]
    assert sorted(item["cluster"] for item in ranking) == sorted(catalogue.ids)
    scores = [item["score"] for item in ranking]
    assert all(isinstance(s, float) and 0.0 <= s <= 1.0 for s in scores)
    assert scores == sorted(scores, reverse=True)
    assert isinstance(line["needs_review"], bool)
    assert line["decision"] == list(result.decision)
    assert all(c in catalogue.ids for c in line["decision"])
