"""Tests for matcher/triage_writer.py: writing triage lines as JSONL, CSV and spreadsheets."""

from __future__ import annotations

import csv
import io
import json
import stat
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook

from matcher.serialize import triage_line
from matcher.triage import InputError
from matcher.triage_writer import FLAT_COLUMNS, TriageWriter
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
        outcome="routed" if decision else "no_fit",  # as matcher/results.py sets it (not unclear)
    )


# -- writing -----------------------------------------------------------------------------------


def test_triage_line_shape() -> None:
    line = triage_line("p0042", _result(("maritime", "energy")))
    assert line == {
        "id": "p0042",
        "decision": ["maritime", "energy"],
        "needs_review": False,
        "review_reason": None,
        "outcome": "routed",
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
        assert list(obj) == ["id", "decision", "needs_review", "review_reason", "outcome", "ranking"]
        assert all(list(item) == ["cluster", "score"] for item in obj["ranking"])
    assert got[1]["decision"] == [] and got[1]["needs_review"] is True
    assert got[1]["review_reason"] == "no cluster fits well enough"
    assert [obj["outcome"] for obj in got] == ["routed", "no_fit"]


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


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".xlsx"])
def test_two_writers_at_once_on_one_path_both_finish_with_one_whole_output(tmp_path: Path, suffix: str) -> None:
    """Two runs writing the same output together: each has its own hidden file, and the output is
    one run's lines, whole (they shared one hidden file: one crashed, the other left a mix)."""
    path = tmp_path / f"triage{suffix}"
    both_open, both_written = threading.Barrier(2), threading.Barrier(2)
    failures: list[BaseException] = []

    def run(prefix: str) -> None:
        try:
            with TriageWriter(path) as writer:
                both_open.wait(timeout=30)
                for i in range(300):  # past the file buffer: both write while the other is open
                    writer.write(triage_line(f"{prefix}{i}", _result()))
                both_written.wait(timeout=30)
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure of either run
            failures.append(exc)

    runs = [threading.Thread(target=run, args=(prefix,)) for prefix in ("a", "b")]
    for t in runs:
        t.start()
    for t in runs:
        t.join(timeout=60)
    assert failures == []
    if suffix == ".jsonl":
        ids = [json.loads(line)["id"] for line in path.read_text(encoding="utf-8").splitlines()]
    elif suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            ids = [rec["id"] for rec in csv.DictReader(handle)]
    else:
        ids = [row[0] for row in _sheet_rows(path)[1:]]
    assert ids in ([f"a{i}" for i in range(300)], [f"b{i}" for i in range(300)])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no hidden file left behind


def test_writer_refuses_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown format"):
        TriageWriter(tmp_path / "out.ods")
    assert not (tmp_path / "out.ods").exists()


def test_the_output_can_be_read_as_any_new_file_can(tmp_path: Path) -> None:
    """The hidden file is made private (0600); the output it becomes is not."""
    path = tmp_path / "triage.jsonl"
    with TriageWriter(path) as writer:
        writer.write(triage_line("p1", _result()))
    (tmp_path / "plain.txt").write_text("x")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode)


# -- spreadsheets out ---------------------------------------------------------------------------

_FLAT_HEADER = (
    "id",
    "text",
    "decision",
    "best_score",
    "needs_review",
    "review_reason",
    "cluster_1",
    "score_1",
    "cluster_2",
    "score_2",
    "cluster_3",
    "score_3",
)


def _sheet_rows(path: Path) -> list[tuple[object, ...]]:
    book = load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def test_writer_xlsx_has_flat_columns_and_cluster_names_in_the_texts_language(tmp_path: Path, catalogue) -> None:
    path = tmp_path / "out.xlsx"
    long_text = "Stocznia remontowa w Gdańsku. " * 10  # 300 characters
    formula = '=HYPERLINK("http://example.org","kliknij")\x0c'  # text from anyone, and a form feed
    with TriageWriter(path, catalogue=catalogue) as writer:
        writer.write(triage_line("p1", _result(("maritime", "energy"))), text=long_text, lang="pl")
        writer.write(triage_line("p2", _result((), needs_review=True)), text=formula, lang="de")
    assert FLAT_COLUMNS == _FLAT_HEADER
    header, first, second = _sheet_rows(path)
    assert header == _FLAT_HEADER
    assert first == (
        "p1",
        long_text[:200] + "…",
        "Polski Klaster Morski; Bałtycki Klaster Ekoenergetyczny",
        0.93,
        False,
        None,
        "Polski Klaster Morski",
        0.93,
        "Bałtycki Klaster Ekoenergetyczny",
        0.41,
        "Interizon – Pomorski Klaster ICT",
        0.05,
    )
    assert second[:6] == ("p2", formula[:-1], None, 0.93, True, "no cluster fits well enough")
    assert second[6::2] == ("Polish Maritime Cluster", "Baltic Eco-Energy Cluster", "Interizon Pomeranian ICT Cluster")
    cell = load_workbook(path).worksheets[0]["B3"]
    assert cell.data_type == "s"  # the text stays text: not a formula Excel would run


def test_writer_csv_for_polish_excel(tmp_path: Path, catalogue) -> None:
    path = tmp_path / "out.csv"
    with TriageWriter(path, catalogue=catalogue, excel=True) as writer:
        writer.write(triage_line("p1", _result(("maritime",))), text="Stocznia; remonty statków", lang="pl")
        writer.write(triage_line("p2", _result((), needs_review=True)), text="-20% na serwis", lang="en")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not the Windows code page
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(_FLAT_HEADER)
    header, first, second = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    assert first == [
        "p1",
        "Stocznia; remonty statków",
        "Polski Klaster Morski",
        "0,93",
        "false",
        "",
        "Polski Klaster Morski",
        "0,93",
        "Bałtycki Klaster Ekoenergetyczny",
        "0,41",
        "Interizon – Pomorski Klaster ICT",
        "0,05",
    ]
    assert second[:6] == ["p2", "'-20% na serwis", "", "0,93", "true", "no cluster fits well enough"]
    assert "{" not in text and "[" not in text  # no JSON in a cell


def test_writer_without_a_catalogue_names_clusters_by_id(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with TriageWriter(path) as writer:
        writer.write(triage_line("p1", _result()), text="Stocznia", lang="pl")
    assert _sheet_rows(path)[1][2::4] == ("maritime", "maritime", "ict")


def test_an_excel_layout_for_jsonl_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Excel layout"):
        TriageWriter(tmp_path / "out.jsonl", excel=True)
    assert list(tmp_path.iterdir()) == []


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
