"""The command line, in-process with typer's runner; models swapped for the hashing encoder
except in the tests marked slow."""

from __future__ import annotations

import csv
import json
import os
import signal
from collections.abc import Iterable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import matcher.loading
from matcher.catalogue import Cluster
from matcher.cli import app
from matcher.estimator import Matcher
from matcher.settings import get_settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch, hashing_encoder):
    """A private store and cache, and the hashing encoder instead of the real models."""
    monkeypatch.setenv("MATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(matcher.loading, "load_encoders", lambda *args, **kwargs: [hashing_encoder])
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_help_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("match", "triage", "evaluate", "feedback", "clusters", "serve"):
        assert command in result.output


def test_match_json_has_the_ranking_and_decision(env):
    result = run("match", "Stocznia remontowa w Gdańsku", "--json", "--top-k", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["matches"]) == 2
    assert {"decision", "needs_review", "matches", "provenance"} <= data.keys()
    assert data["matches"][0]["explanation"]["evidence"]


def test_match_table(env):
    result = run("match", "We design ventilation systems")
    assert result.exit_code == 0
    assert "decision:" in result.stdout


@pytest.mark.parametrize("blank", ["   ", "\u200b\u200c", "\x00\x00"])
def test_match_empty_text_is_one_line_error(env, blank):
    result = run("match", blank)
    assert result.exit_code == 2
    assert "empty" in result.output
    assert "Traceback" not in result.output


def _jsonl(path, rows):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def test_triage_jsonl_writes_good_rows_and_reports_bad_ones(env, catalogue):
    src = _jsonl(
        env / "in.jsonl",
        [
            {"id": "a", "text": "Stocznia remontowa w Gdyni"},
            {"id": "b", "text": ""},
            "{not json",
            {"id": "c", "text": "Software house building mobile apps"},
        ],
    )
    out = env / "out.jsonl"
    result = run("triage", str(src), "-o", str(out))
    assert result.exit_code == 1
    assert "row 2" in result.output and "row 3" in result.output
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in lines] == ["a", "c"]
    for line in lines:
        assert set(line) == {"id", "decision", "needs_review", "review_reason", "outcome", "ranking"}
        assert line["outcome"] in ("routed", "no_fit", "unclear")
        assert (line["outcome"] == "routed") == bool(line["decision"])
        assert sorted(r["cluster"] for r in line["ranking"]) == sorted(catalogue.ids)
        assert all(0 <= r["score"] <= 1 for r in line["ranking"])


def test_triage_csv_in_and_out(env):
    src = env / "in.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerow(["1", "Budujemy drogi"])
        w.writerow(["2", "Serwis klimatyzacji"])
    out = env / "out.csv"
    result = run("triage", str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert all(json.loads(r["ranking"]) for r in rows)


def test_triage_missing_column_fails_cleanly(env):
    src = env / "in.csv"
    src.write_text("id,body\n1,hello\n")
    result = run("triage", str(src), "-o", str(env / "out.jsonl"))
    assert result.exit_code == 2
    assert "missing column 'text'" in result.output
    assert "Traceback" not in result.output


def test_triage_unreadable_input(env):
    result = run("triage", str(env / "nope.jsonl"), "-o", str(env / "out.jsonl"))
    assert result.exit_code == 2
    assert "cannot be read" in result.output


def test_triage_rejects_unknown_output_format(env):
    src = _jsonl(env / "in.jsonl", [{"id": "a", "text": "x"}])
    result = run("triage", str(src), "-o", str(env / "out.ods"))
    assert result.exit_code == 2
    assert "unknown format" in result.output


def test_evaluate_json_and_plot(env, profiles):
    data = _jsonl(
        env / "eval.jsonl",
        [{"id": p.id, "text": p.text, "labels": list(p.labels), "lang": p.lang} for p in profiles[:30]],
    )
    png = env / "cm.png"
    result = run("evaluate", str(data), "--json", "--plot", str(png))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["overall"]["n"] == 30
    assert set(report["by_language"]) <= {"en", "pl"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    overall = report["overall"]
    assert 0.0 <= overall["review_share"] <= 1.0
    assert overall["routing_unreviewed"] is None or 0.0 <= overall["routing_unreviewed"] <= 1.0
    assert 0.0 <= report["bands_hold_by_chance"] <= 1.0
    assert {"accuracy_low", "accuracy_high"} <= set(report["reliability"]["pairs"]["all"][0])


def test_evaluate_table_shows_the_review_queue(env, profiles):
    data = _jsonl(
        env / "eval.jsonl",
        [{"id": p.id, "text": p.text, "labels": list(p.labels), "lang": p.lang} for p in profiles[:20]],
    )
    result = run("evaluate", str(data), "--plot", str(env / "cm.png"))
    assert result.exit_code == 0, result.output
    assert "the review queue" in result.stdout and "set aside" in result.stdout
    assert "routing of the rest" in result.stdout
    assert "bias .2-.9" in result.stdout and "perfectly calibrated matcher" in result.stdout


def test_evaluate_bad_label_names_the_line(env):
    data = _jsonl(env / "eval.jsonl", [{"text": "x", "labels": ["hvac"]}, {"text": "y", "labels": ["pizza"]}])
    result = run("evaluate", str(data))
    assert result.exit_code == 2
    assert "line 2" in result.output and "pizza" in result.output


def test_feedback_import_list_withdraw(env):
    data = _jsonl(env / "fb.jsonl", [{"text": "Kutry rybackie i sieci", "labels": ["maritime"]}])
    assert run("feedback", "import", str(data)).exit_code == 0
    listed = json.loads(run("feedback", "list", "--json").stdout)
    assert [x["labels"] for x in listed] == [["maritime"]]
    again = run("feedback", "import", str(data))
    assert again.exit_code == 0 and "nothing stored; 1 already stored" in again.stderr
    assert len(json.loads(run("feedback", "list", "--json").stdout)) == 1
    first = run("feedback", "withdraw", str(listed[0]["id"]))
    assert first.exit_code == 0 and first.stderr.strip() == f"feedback {listed[0]['id']} withdrawn"
    assert json.loads(run("feedback", "list", "--json").stdout) == []
    second = run("feedback", "withdraw", str(listed[0]["id"]))
    assert second.exit_code == 0 and "was already withdrawn" in second.stderr
    assert run("feedback", "withdraw", "999").exit_code == 2


@pytest.mark.parametrize("name", ["fb.csv", "fb.XLSX"])
def test_feedback_import_of_a_spreadsheet_is_one_clear_error(env, name):
    path = env / name
    path.write_text("text,labels\nKutry rybackie,maritime\nChlodnie,hvac\n", encoding="utf-8")
    result = run("feedback", "import", str(path))
    assert result.exit_code == 2
    assert "reads JSON Lines (.jsonl)" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_feedback_import_takes_one_split_of_a_file(env):
    rows = [
        {"text": "Kutry rybackie i sieci", "labels": ["maritime"], "split": "half-a"},
        {"text": "Software house z Gdyni", "labels": ["ict"], "split": "half-b"},
    ]
    data = _jsonl(env / "fb.jsonl", rows)
    assert run("feedback", "import", str(data), "--split", "half-a").exit_code == 0
    assert [x["labels"] for x in json.loads(run("feedback", "list", "--json").stdout)] == [["maritime"]]
    missing = run("feedback", "import", str(data), "--split", "half-c")
    assert missing.exit_code == 2 and "no profiles in split 'half-c'" in missing.stderr
    assert len(json.loads(run("feedback", "list", "--json").stdout)) == 1


def test_feedback_import_refuses_bad_lines_and_keeps_the_good_ones(env):
    rows = [{"text": "Software house z Gdyni", "labels": ["ict"]}, {"text": "bad", "labels": ["astrology"]}]
    data = _jsonl(env / "fb.jsonl", rows)
    with data.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    result = run("feedback", "import", str(data))
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "astrology" in result.stderr
    assert "line 3" in result.stderr and "not valid JSON" in result.stderr
    assert "stored 1 feedback profile (id 1)" in result.stderr and "2 bad lines skipped" in result.stderr
    assert [x["labels"] for x in json.loads(run("feedback", "list", "--json").stdout)] == [["ict"]]


def test_feedback_import_takes_either_spelling_of_no_cluster(env):
    rows = [
        {"text": "Piekarnia w Sopocie", "labels": []},
        {"text": "Piekarnia w Sopocie", "labels": ["none"]},  # the same profile, written the other way
        {"text": "Kwiaciarnia w Gdyni", "labels": ["none"]},
        {"text": "Kutry i piekarnia", "labels": ["none", "maritime"]},
    ]
    result = run("feedback", "import", str(_jsonl(env / "fb.jsonl", rows)))
    assert result.exit_code == 1
    assert "line 4" in result.stderr and "'none' (no cluster fits) cannot stand with a cluster" in result.stderr
    assert "1 already stored" in result.stderr
    assert [x["labels"] for x in json.loads(run("feedback", "list", "--json").stdout)] == [["none"], ["none"]]


def test_feedback_import_of_a_missing_file_is_one_line_and_exit_2(env):
    result = run("feedback", "import", str(env / "nowhere.jsonl"))
    assert result.exit_code == 2
    assert "no such file" in result.stderr and "Traceback" not in result.output


def test_text_that_looks_like_console_markup_is_printed_as_written(env):
    """Square brackets in a profile are the company's text, not styling for the terminal."""
    text = "Pompy ciepła [/x] i wentylacja [bold]z rekuperacją"
    result = run("match", text)
    assert result.exit_code == 0, result.output
    assert "[/x]" in result.stdout
    data = _jsonl(env / "fb.jsonl", [{"text": text, "labels": ["hvac"]}])
    assert run("feedback", "import", str(data)).exit_code == 0
    listed = run("feedback", "list")
    assert listed.exit_code == 0 and "[bold]" in listed.stdout


def test_clusters_lists_the_catalogue(env, catalogue):
    result = run("clusters", "--json")
    assert result.exit_code == 0
    assert [c["id"] for c in json.loads(result.stdout)["clusters"]] == list(catalogue.ids)


def test_feedback_changes_the_next_match(env):
    """Feedback imported on the command line is what the next command learns from."""
    text = "Hodowla ślimaków winniczków, śluz ślimaka dla producentów kremów"
    before = json.loads(run("match", text, "--json").stdout)["matches"]
    corrected = before[1]["cluster"]  # the office says the runner-up is right
    data = _jsonl(env / "fb.jsonl", [{"text": text, "labels": [corrected]}])
    assert run("feedback", "import", str(data)).exit_code == 0
    after = json.loads(run("match", text, "--json").stdout)["matches"]
    assert before[0]["cluster"] != corrected
    assert after[0]["cluster"] == corrected


def test_an_unknown_backend_is_one_line_and_exit_2(env):
    result = run("--backend", "tensorrt", "clusters")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid setting: --backend:") and "'tensorrt'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_environment_setting_is_named_in_one_line(env, monkeypatch):
    monkeypatch.setenv("MATCHER_BACKEND", "abc")
    result = run("clusters")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: invalid setting: MATCHER_BACKEND:") and "'abc'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_store_that_cannot_be_opened_hides_the_password(env):
    result = run("--database-url", "postgresql://officer:s3cret@127.0.0.1:1/db", "feedback", "list")
    assert result.exit_code == 2
    assert "cannot open the store" in result.stderr and "s3cret" not in result.output


def test_an_encoder_that_cannot_load_is_one_line_and_exit_2(env, monkeypatch):
    def missing(*args, **kwargs):
        raise OSError("no-such-model is not a local folder and nothing may be downloaded\nmore detail")

    monkeypatch.setattr(matcher.loading, "load_encoders", missing)
    result = run("match", "Stocznia w Gdyni")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot load the matcher") and "more detail" not in result.stderr


def test_text_that_is_not_valid_unicode_is_refused(env):
    result = run("match", "We repair \udcff ships")
    assert result.exit_code == 2
    assert "not valid UTF-8" in result.stderr
    piped = runner.invoke(app, ["match", "-"], input=b"Stocznia \xff w Gdyni")
    assert piped.exit_code == 2 and "not valid UTF-8" in piped.stderr


def test_triage_skips_a_row_that_is_not_valid_unicode_and_writes_the_rest(env):
    src = env / "in.jsonl"
    src.write_text('{"id": "a", "text": "Shipyard \\ud800 in Gdynia"}\n{"id": "b", "text": "Stocznia w Gdyni"}\n')
    result = run("triage", str(src), "-o", str(env / "out.jsonl"))
    assert result.exit_code == 1
    assert "row 1: 'text' is not valid Unicode" in result.stderr
    assert [json.loads(x)["id"] for x in (env / "out.jsonl").read_text().splitlines()] == ["b"]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("same", "would overwrite the input"),
        ("folder", "is a directory"),
        ("folder without a suffix", "is a directory"),  # said "unknown format '(none)'"
        ("under-a-file", "cannot be created"),
    ],
)
def test_triage_refuses_an_output_it_cannot_write_before_loading_models(env, monkeypatch, target, message):
    src = _jsonl(env / "in.jsonl", [{"id": "a", "text": "Stocznia w Gdyni"}])
    (env / "out.jsonl").mkdir()
    (env / "results").mkdir()
    (env / "plain").write_text("x")
    output = {
        "same": src,
        "folder": env / "out.jsonl",
        "folder without a suffix": env / "results",
        "under-a-file": env / "plain" / "out.jsonl",
    }[target]
    monkeypatch.setattr(matcher.loading, "load_encoders", lambda *args, **kwargs: pytest.fail("models loaded"))
    result = run("triage", str(src), "-o", str(output))
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert json.loads(src.read_text()) == {"id": "a", "text": "Stocznia w Gdyni"}


@pytest.mark.parametrize(
    ("plot", "message"), [("cm.txt", "needs a name ending in"), ("plain/cm.png", "cannot be created")]
)
def test_evaluate_refuses_a_plot_path_before_loading_models(env, monkeypatch, profiles, plot, message):
    data = _jsonl(env / "eval.jsonl", [{"text": "Stocznia w Gdyni", "labels": ["maritime"]}])
    (env / "plain").write_text("x")
    monkeypatch.setattr(matcher.loading, "load_encoders", lambda *args, **kwargs: pytest.fail("models loaded"))
    result = run("evaluate", str(data), "--plot", str(env / plot))
    assert result.exit_code == 2 and message in result.stderr


def test_clusters_refuses_an_unknown_language(env):
    result = run("clusters", "--lang", "de")
    assert result.exit_code == 2 and "--lang" in result.stderr


def test_triage_warns_of_a_repeated_id_and_routes_both(env):
    src = _jsonl(env / "in.jsonl", [{"id": "a1", "text": "Stocznia w Gdyni"}, {"id": "a1", "text": "Chłodnie"}])
    result = run("triage", str(src), "-o", str(env / "out.jsonl"))
    assert result.exit_code == 0
    assert "row 2: the id of row 1 again (both routed)" in result.stderr
    assert [json.loads(x)["id"] for x in (env / "out.jsonl").read_text().splitlines()] == ["a1", "a1"]


def test_triage_stopped_by_sigterm_leaves_the_earlier_output_and_no_debris(env, monkeypatch):
    src = _jsonl(env / "in.jsonl", [{"id": str(i), "text": f"Stocznia numer {i}"} for i in range(4)])
    out = env / "out.jsonl"
    out.write_text("earlier results\n")
    real = Matcher.match_many

    def stopped_midway(self, texts, **kwargs):
        if texts[0] == "Stocznia numer 2":
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill` would, between two batches
        return real(self, texts, **kwargs)

    monkeypatch.setattr(Matcher, "match_many", stopped_midway)
    previous = signal.getsignal(signal.SIGTERM)
    result = run("triage", str(src), "-o", str(out), "--batch-size", "2")
    assert result.exit_code == 128 + signal.SIGTERM
    assert out.read_text() == "earlier results\n"
    assert sorted(p.name for p in env.iterdir() if "out" in p.name) == ["out.jsonl"]
    assert signal.getsignal(signal.SIGTERM) == previous  # the handler was put back


# -- triage and spreadsheets: CSV in Excel's encodings, .xlsx in and out, CSV for Polish Excel -----

_POLISH = [
    ("łódź-1", "Stocznia remontowa w Gdańsku, naprawiamy kadłuby"),
    ("ŻÓŁW-2", "Pompy ciepła i chłodnie źródłowe"),
]
_FLAT = "id text decision best_score needs_review review_reason cluster_1 score_1 cluster_2 score_2 cluster_3 score_3"


def _sheet(path: Path) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _profiles_jsonl(path: Path, profiles: Iterable[tuple[str, str]]) -> Path:
    path.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in profiles))
    return path


def _names(catalogue: Iterable[Cluster]) -> set[str]:
    return {name for cluster in catalogue for name in cluster.name.values()}


def test_triage_windows_1250_csv_round_trips_into_a_workbook(env, catalogue):
    src = env / "zapytania.csv"
    src.write_bytes(("ID;Tekst;Text\n" + "".join(f"{i};x;{t}\n" for i, t in _POLISH)).encode("cp1250"))
    out = env / "out.xlsx"
    result = run("triage", str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    header, *rows = _sheet(out)
    assert header == tuple(_FLAT.split())
    assert [(r[0], r[1]) for r in rows] == _POLISH  # ids and texts, Polish letters and all
    assert all(isinstance(r[3], float) and isinstance(r[4], bool) for r in rows)
    assert {r[i] for r in rows for i in (6, 8, 10)} <= _names(catalogue)  # clusters by name, no ids, no JSON


def test_triage_utf16_csv(env):
    src = env / "in.csv"
    src.write_bytes(("id\ttext\n" + "".join(f"{i}\t{t}\n" for i, t in _POLISH)).encode("utf-16"))
    result = run("triage", str(src), "-o", str(env / "out.jsonl"))
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["id"] for x in (env / "out.jsonl").read_text(encoding="utf-8").splitlines()] == [
        i for i, _ in _POLISH
    ]


def test_triage_reads_a_workbook_and_names_a_bad_row_as_excel_numbers_it(env):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.worksheets[0]
    for row in (["Id", "Text"], [1, "Stocznia w Gdyni"], [2, None], ["p3", "Software house"]):
        sheet.append(row)
    book.save(env / "in.xlsx")
    out = env / "out.jsonl"
    result = run("triage", str(env / "in.xlsx"), "-o", str(out))
    assert result.exit_code == 1
    assert "in.xlsx, row 3: empty or missing 'text' (skipped)" in result.stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["1", "p3"]


def test_triage_csv_for_polish_excel(env, catalogue):
    src = _profiles_jsonl(env / "in.jsonl", _POLISH)
    out = env / "out.csv"
    result = run("triage", str(src), "-o", str(out), "--excel")
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";")
    assert header == _FLAT.split()
    assert [(r[0], r[1]) for r in rows] == _POLISH
    assert {r[i] for r in rows for i in (6, 8, 10)} <= _names(catalogue)
    assert all("," in r[3] and "." not in r[3] for r in rows)  # a decimal comma: a number in Polish Excel


def test_triage_csv_in_no_encoding_tried_is_one_line_and_exit_2(env, monkeypatch):
    src = env / "in.csv"
    src.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)
    monkeypatch.setattr(matcher.loading, "load_encoders", lambda *args, **kwargs: pytest.fail("models loaded"))
    result = run("triage", str(src), "-o", str(env / "out.jsonl"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot tell the text's encoding (tried UTF-8, UTF-16, Windows-1250, ISO-8859-2)" in result.stderr


def test_triage_excel_layout_for_a_jsonl_output_is_refused_before_loading_models(env, monkeypatch):
    src = _profiles_jsonl(env / "in.jsonl", [("a", "Stocznia w Gdyni")])
    monkeypatch.setattr(matcher.loading, "load_encoders", lambda *args, **kwargs: pytest.fail("models loaded"))
    result = run("triage", str(src), "-o", str(env / "out.jsonl"), "--excel")
    assert result.exit_code == 2 and "--excel is for a .csv output" in result.stderr
    assert not (env / "out.jsonl").exists()


def test_triage_rejects_an_output_format_it_does_not_write(env):
    src = _profiles_jsonl(env / "in.jsonl", [("a", "x")])
    result = run("triage", str(src), "-o", str(env / "out.ods"))
    assert result.exit_code == 2
    assert "unknown format '.ods'; use .jsonl, .csv or .xlsx" in result.output
