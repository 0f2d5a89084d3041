"""Tests for matcher/text.py: language guess and passages with exact character offsets."""

from __future__ import annotations

import json
import random
import re

import pytest

from matcher.config import CHECK_SETS, PROFILES_PATH
from matcher.text import INVISIBLE, Passage, count_words, detect_lang, foreign_language, is_blank, split_passages


@pytest.mark.parametrize(
    "text",
    [
        "Projektujemy instalacje chłodnicze dla przemysłu spożywczego.",
        "Jesteśmy firmą budowlaną z Gdańska i oferujemy generalne wykonawstwo.",
        "Jestesmy firma budowlana z Gdanska i oferujemy",  # Polish typed without diacritics
        "Szukamy partnera do projektu, firma zajmuje się oprogramowaniem dla portów.",
        "Łódź",
    ],
)
def test_detect_lang_polish(text: str) -> None:
    assert detect_lang(text) == "pl"


@pytest.mark.parametrize(
    "text",
    [
        "We are a software house from Gdynia building web applications for the maritime industry.",
        "Our company designs ventilation and air-conditioning systems for office buildings.",
        "Offshore wind farm services: installation vessels and maintenance of the turbines.",
        "Boat repairs and winter storage in Władysławowo.",  # a Polish place name, an English text
    ],
)
def test_detect_lang_english(text: str) -> None:
    assert detect_lang(text) == "en"


def _assert_offsets(text: str, passages: list[Passage]) -> None:
    for p in passages:
        assert text[p.start : p.end] == p.text
    starts = [p.start for p in passages]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in zip(passages, passages[1:], strict=False))


@pytest.mark.parametrize("text", ["", "  \n\t", "\u3000", INVISIBLE, "\u200b \u200b", "\x00\x00", " \x00\n"])
def test_blank_texts_show_nothing(text: str) -> None:
    assert is_blank(text)


@pytest.mark.parametrize("text", ["x", " \u200bStatki\u200b ", "co\u00adop", "1", "\u00a9"])
def test_texts_with_something_to_show_are_not_blank(text: str) -> None:
    assert not is_blank(text)


def test_count_words_counts_runs_of_letters() -> None:
    assert count_words("test") == 1
    assert count_words("Stocznia remontowa, Gdańsk-Oliwa 2024!") == 4
    assert count_words("123 456 ++") == 0


def test_splits_on_sentence_ends() -> None:
    text = "We design ships. We also repair them! Do you need a partner? Call us; we answer."
    passages = split_passages(text)
    assert [p.text for p in passages] == [
        "We design ships.",
        "We also repair them!",
        "Do you need a partner?",
        "Call us;",
        "we answer.",
    ]
    _assert_offsets(text, passages)


def test_splits_on_newlines_and_bullets() -> None:
    text = "Our services\nfirst line\n\n  second line • heat pumps • chillers · ducts – valves - fans"
    passages = split_passages(text)
    assert [p.text for p in passages] == [
        "Our services",
        "first line",
        "second line",
        "heat pumps",
        "chillers",
        "ducts",
        "valves",
        "fans",
    ]
    _assert_offsets(text, passages)


def test_hyphenated_words_are_not_bullets() -> None:
    text = "Bio-Eco-Chemical cluster members are well-known."
    assert [p.text for p in split_passages(text)] == [text]


def test_repeated_sentences_get_their_own_offsets() -> None:
    text = "Ships. Ships. Ships."
    passages = split_passages(text)
    assert [(p.start, p.end) for p in passages] == [(0, 6), (7, 13), (14, 20)]
    _assert_offsets(text, passages)


def test_offsets_survive_leading_space_and_crlf() -> None:
    text = "   Tak, budujemy.\r\n\r\n  Nie projektujemy.  "
    passages = split_passages(text)
    assert [p.text for p in passages] == ["Tak, budujemy.", "Nie projektujemy."]
    _assert_offsets(text, passages)


def test_long_comma_lists_are_chunked() -> None:
    items = [f"product number {i}" for i in range(40)]
    text = "We make: " + ", ".join(items) + "."
    passages = split_passages(text, max_words=40)
    assert len(passages) > 1
    assert all(len(p.text.split()) <= 40 for p in passages)
    _assert_offsets(text, passages)
    for item in items:  # every item lands in exactly one passage
        assert sum(f"{item}," in p.text or f"{item}." in p.text for p in passages) == 1


def test_short_lists_stay_whole() -> None:
    text = "We make pumps, valves, fans and ducts."
    assert [p.text for p in split_passages(text)] == [text]


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "...", " - "])
def test_nothing_to_split_gives_no_passages(text: str) -> None:
    assert split_passages(text) == []


def test_offsets_and_coverage_on_random_texts() -> None:
    """Seeded fuzz: offsets always slice the original, passages never overlap, no word is lost."""
    rng = random.Random(20240601)
    pieces = [*"ab ,.;!?\n-•·–", "ship", "statki", "  ", "\r\n", "ą"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        passages = split_passages(text, max_words=rng.choice([2, 3, 40]))
        _assert_offsets(text, passages)
        covered = {i for p in passages for i in range(p.start, p.end)}
        assert all(i in covered for i, ch in enumerate(text) if re.match(r"\w", ch)), text


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wir sind ein Maschinenbauunternehmen aus Hamburg und suchen Partner in Danzig.", "German"),
        ("Nous développons des logiciels de gestion pour les ports de commerce.", "French"),
        ("Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "Latin"),
        ("Мы производим холодильное оборудование для рыбной промышленности.", "Russian"),
        ("Vi bygger fartyg i Göteborg.", "Swedish"),
        ("Vyrábíme tepelná čerpadla.", "Czech"),
    ],
)
def test_a_third_language_is_named(text: str, language: str) -> None:
    assert foreign_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Hiring: embedded C developer (ARM Cortex-M, RTOS), Gdańsk, hybrid.",  # the closest call in data/
        "Yoga and pilates studio in Sopot, beginners welcome.",
        "Yacht rigging and sail loft in Górki Zachodnie.",
        "PV system designer | PVsyst, AutoCAD, grid studies | 200+ MWp designed | Gdańsk",
        "Budujemy drogi i mosty na Pomorzu",
        "Projektujemy instalacje chlodnicze dla przetworni ryb",  # Polish without diacritics
        "test",
        "asdf qwer zxcv",
    ],
)
def test_english_polish_and_unclear_texts_are_not_called_foreign(text: str) -> None:
    assert foreign_language(text) is None


def test_no_labelled_profile_is_called_foreign() -> None:
    """The labelled profiles and the check sets are English or Polish; none may be sent to review as foreign."""
    texts = [
        json.loads(line)["text"]
        for path in (PROFILES_PATH, *CHECK_SETS.values())
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(texts) > 2800
    assert [t for t in texts if foreign_language(t)] == []


def test_the_language_model_can_be_loaded_ahead() -> None:
    from matcher.text import _any_language_identifier, _identifier, load_language_model

    load_language_model()
    assert _identifier.cache_info().currsize == 1
    assert _any_language_identifier.cache_info().currsize == 1
    assert detect_lang("Budujemy mosty.") == "pl"
