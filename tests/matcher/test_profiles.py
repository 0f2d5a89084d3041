"""Tests for matcher/profiles.py: reading labelled JSON Lines with errors naming file and line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matcher.config import PROFILES_PATH
from matcher.profiles import SPLITS, ProfileError, by_split, load_profiles, parse_profile, read_profiles
from matcher.types import LabelledProfile

KNOWN = ("biochem", "maritime", "hvac", "ict", "construction", "energy")

GOOD = {"id": "p1", "lang": "en", "text": "We build ships.", "labels": ["maritime"], "split": "train"}


def _write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "profiles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**changes: Any) -> str:
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...}, ensure_ascii=False)


def test_loads_the_real_file(catalogue) -> None:
    profiles = load_profiles(known=catalogue.ids)
    assert profiles
    assert all(isinstance(p, LabelledProfile) for p in profiles)
    assert all(p.split in SPLITS for p in profiles)
    assert load_profiles(PROFILES_PATH) == profiles


def test_reads_every_field(tmp_path: Path) -> None:
    path = _write_lines(
        tmp_path,
        [
            _line(),
            _line(id="p2", lang="pl", text="  Budujemy drogi.  ", labels=["construction", "energy"], split="dev"),
        ],
    )
    first, second = load_profiles(path, known=KNOWN)
    assert first == LabelledProfile(id="p1", text="We build ships.", labels=("maritime",), lang="en", split="train")
    assert second.text == "Budujemy drogi."  # stripped
    assert second.labels == ("construction", "energy")
    assert second.split == "dev"


def test_optional_fields_and_default_id(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, [_line(), json.dumps({"text": "Offshore wind farms.", "labels": ["energy"]})])
    profile = load_profiles(path)[1]
    assert profile.id == "line2"
    assert profile.lang is None
    assert profile.split is None


def test_repeated_labels_collapse(tmp_path: Path) -> None:
    lines = [_line(labels=["ict", "ict", "energy"]), _line(id="p3", labels=["none"] * 2)]
    first, second = load_profiles(_write_lines(tmp_path, lines), known=KNOWN)
    assert first.labels == ("ict", "energy")
    assert second.labels == ("none",)


def test_read_profiles_keeps_the_good_lines_and_names_each_bad_one(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, [_line(), "{oops", _line(id="p2", labels=["pizza"]), _line(id="p3")])
    profiles, problems = read_profiles(path, known=KNOWN)
    assert [p.id for p in profiles] == ["p1", "p3"]
    assert [str(e).split(": ", 1)[0] for e in problems] == [f"{path}, line 2", f"{path}, line 3"]
    with pytest.raises(ProfileError, match="line 2"):
        load_profiles(path, known=KNOWN)


def test_blank_lines_are_skipped_and_numbering_keeps_them(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, ["", _line(), "   ", "", _line(id="p2"), ""])
    assert [p.id for p in load_profiles(path)] == ["p1", "p2"]
    broken = _write_lines(tmp_path, ["", _line(), "   ", "{oops"])
    with pytest.raises(ProfileError, match=r", line 4: "):
        load_profiles(broken)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "p9", "text": "Ships",', "not valid JSON"),
        ("[1, 2, 3]", "expected a JSON object"),
        (_line(text=""), "field 'text'"),
        (_line(text="   "), "field 'text'"),
        (_line(text="\u200b \u00ad"), "field 'text'"),
        (_line(text="\x00\x00"), "field 'text'"),
        (_line(text=...), "field 'text'"),
        (_line(labels={"maritime": True}), "field 'labels'"),
        (_line(labels="ict"), "field 'labels'"),  # a list, as the API asks: one format, not two
        (_line(labels=[3]), "field 'labels'"),
        (_line(labels=...), "field 'labels'"),
        (_line(labels=["tourism"]), "unknown cluster 'tourism'"),
        (_line(labels=["none", "ict"]), "'none' (no cluster fits) cannot stand with a cluster"),
        (_line(split=3), "field 'split'"),
        (_line(lang=7), "field 'lang'"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    path = _write_lines(tmp_path, [_line(), _line(id="p2"), bad_line, _line(id="p4")])
    with pytest.raises(ProfileError) as info:
        load_profiles(path, known=KNOWN)
    text = str(info.value)
    assert text.startswith(f"{path}, line 3: ")
    assert message in text


def test_any_split_name_is_kept_for_files_from_elsewhere(tmp_path: Path) -> None:
    """evaluate and feedback import read files with their own split names ("heldout", "2026-q1")."""
    path = _write_lines(tmp_path, [_line(split="heldout"), _line(id="p2", split=...)])
    assert [p.split for p in load_profiles(path, known=KNOWN)] == ["heldout", None]


def test_unknown_cluster_is_accepted_without_known(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, [_line(labels=["tourism"])])
    assert load_profiles(path)[0].labels == ("tourism",)


def test_none_alone_is_allowed_with_known(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, [_line(labels=["none"])])
    profile = load_profiles(path, known=KNOWN)[0]
    assert profile.labels == ("none",)
    assert profile.is_no_fit


@pytest.mark.parametrize("labels", [[], ["none"], ["none", "none"]])
def test_no_cluster_fits_may_be_written_either_way(tmp_path: Path, labels: list[str]) -> None:
    """A routing decision says [] and a labelled file ["none"]: both are read as ("none",)."""
    path = _write_lines(tmp_path, [_line(labels=labels)])
    assert load_profiles(path, known=KNOWN)[0].labels == ("none",)


def test_known_may_be_a_one_shot_iterator(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, [_line(), _line(id="p2", labels=["ict"])])
    assert len(load_profiles(path, known=iter(KNOWN))) == 2


def test_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.jsonl"
    with pytest.raises(ProfileError, match="no such file") as info:
        load_profiles(path)
    assert str(path) in str(info.value)


def test_non_utf8_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(_line(text="Łódź").encode("utf-8").replace("Ł".encode(), b"\xa3"))
    with pytest.raises(ProfileError, match="cannot be read") as info:
        load_profiles(path)
    assert str(path) in str(info.value)


def test_parse_profile_names_where() -> None:
    with pytest.raises(ProfileError, match=r"^request body: field 'text'"):
        parse_profile({"text": "", "labels": ["ict"]}, where="request body")


def test_by_split() -> None:
    profiles = [
        LabelledProfile(id=str(i), text=f"text {i}", labels=("ict",), split=split)
        for i, split in enumerate(["train", "dev", "test", "train", None])
    ]
    assert [p.id for p in by_split(profiles, "train")] == ["0", "3"]
    assert [p.id for p in by_split(profiles, "train", "dev")] == ["0", "1", "3"]
    assert [p.id for p in by_split(profiles, "test")] == ["2"]
    assert by_split(profiles) == []


def test_by_split_on_the_real_file(profiles) -> None:
    parts = [by_split(profiles, s) for s in SPLITS]
    assert sum(len(p) for p in parts) == len(profiles)
    assert all(parts)


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_text(_line() + "\n", encoding="utf-8-sig")
    assert [p.id for p in load_profiles(path, known=KNOWN)] == ["p1"]


def test_a_lone_surrogate_in_the_text_names_the_line(tmp_path: Path) -> None:
    path = _write_lines(tmp_path, [_line(), '{"text": "Stocznia \\ud800", "labels": ["maritime"]}'])
    profiles, problems = read_profiles(path, known=KNOWN)
    assert [p.id for p in profiles] == ["p1"]
    assert "line 2" in str(problems[0]) and "not valid Unicode" in str(problems[0])
