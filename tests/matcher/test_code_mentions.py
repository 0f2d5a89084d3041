"""Tests for matcher/code_mentions.py: which numbers in a text count as activity codes, and normalising them."""

from __future__ import annotations

import pytest

from matcher.code_mentions import CodeMention, find_codes, normalize_code


def _found(text: str) -> list[tuple[str, str, str]]:
    """(normalised code, scheme, code as written) for every mention."""
    return [(m.code, m.scheme, text[m.start : m.end]) for m in find_codes(text)]


# -- find_codes: what counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("62.01.Z", [("62.01.Z", "pkd", "62.01.Z")]),
        ("62.01 Z", [("62.01.Z", "pkd", "62.01 Z")]),
        ("62.01Z", [("62.01.Z", "pkd", "62.01Z")]),
        ("kod 62.01.z", [("62.01.Z", "pkd", "62.01.z")]),
        ("PKD 28.25", [("28.25", "pkd", "28.25")]),
        ("pkd 28.25", [("28.25", "pkd", "28.25")]),
        ("PKD: 43.22.Z", [("43.22.Z", "pkd", "43.22.Z")]),
        ("PKD 2007: 71.12.Z", [("71.12.Z", "pkd2007", "71.12.Z")]),
        ("PKD 2025: 62.10.B", [("62.10.B", "pkd2025", "62.10.B")]),
        ("PKD (2007) 41.20", [("41.20", "pkd2007", "41.20")]),
        ("PKD 6201Z", [("62.01.Z", "pkd", "6201Z")]),
        ("PKD 62", [("62", "pkd", "62")]),
        ("PKD 28.2", [("28.2", "pkd", "28.2")]),
        ("NACE 35.11", [("35.11", "nace", "35.11")]),
        ("NACE Rev. 2 C28.25", [("28.25", "nace2", "C28.25")]),
        ("NACE Rev.2.1: 35.12", [("35.12", "nace2.1", "35.12")]),
        ("NACE 2.1 62.10", [("62.10", "nace2.1", "62.10")]),
        ("NACE 21.20", [("21.20", "nace", "21.20")]),
        ("NACE C.28.25", [("28.25", "nace", "C.28.25")]),
        ("NACE code 33.15", [("33.15", "nace", "33.15")]),
        ("The company's NACE code is 33.15.", [("33.15", "nace", "33.15")]),
        ("Kod PKD przeważającej działalności: 62.01.Z", [("62.01.Z", "pkd", "62.01.Z")]),
        ("Przeważający kod PKD to 43.22", [("43.22", "pkd", "43.22")]),
        ("wg PKD 2007 62.01", [("62.01", "pkd2007", "62.01")]),
        ("Activity codes (NACE Rev. 2): C26.12 boards", [("26.12", "nace2", "C26.12")]),
        ("33.15 (NACE)", [("33.15", "nace", "33.15")]),
        ("62.01.Z (PKD 2007)", [("62.01.Z", "pkd2007", "62.01.Z")]),
        ("PKD/NACE: 62.01", [("62.01", "pkd", "62.01")]),
        ("PKD 2004 72.22.Z", [("72.22.Z", "pkd2004", "72.22.Z")]),
        ("NACE Rev. 1.1 72.2", [("72.2", "nace1.1", "72.2")]),
    ],
)
def test_finds_codes(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a section letter that is the section of the division marks a code without PKD or NACE nearby
        ("Main activity: M72.11 Research and experimental development on biotechnology", ["72.11"]),
        ("Principal activity: E37.00 Sewerage. Secondary: E39.00 Remediation", ["37.00", "39.00"]),
        ("J62.01 Computer programming activities", ["62.01"]),
        ("K62.10 Computer programming activities", ["62.10"]),
    ],
)
def test_section_letter_of_the_right_section_marks_a_code(text: str, expected: list[str]) -> None:
    assert [m.code for m in find_codes(text)] == expected


def test_section_letter_settles_the_nace_version() -> None:
    assert [m.scheme for m in find_codes("J62.01; K62.10. Also C28.25")] == ["nace2", "nace2.1", "nace"]


@pytest.mark.parametrize(
    "text",
    [
        "PKD 62.01, 62.02 i 63.11",
        "PKD: 62.01; 62.02 oraz 63.11",
        "PKD 62.01 and 62.02 or 63.11",
        "PKD 62.01 (software), 62.02 (consulting), 63.11 (hosting)",
        "PKD 62.01 – programowanie; 62.02 – doradztwo, 63.11",
        "Kody PKD:\n- 62.01 Programowanie\n- 62.02 Doradztwo\n- 63.11 Hosting",
        "NACE codes: 62.01/62.02/63.11",
    ],
)
def test_a_list_after_pkd_counts_whole(text: str) -> None:
    assert [m.code for m in find_codes(text)] == ["62.01", "62.02", "63.11"]


def test_list_items_inherit_the_scheme() -> None:
    assert {m.scheme for m in find_codes("PKD 2025: 62.10, 62.20 i 63.10")} == {"pkd2025"}


def test_offsets_point_at_the_code_as_written() -> None:
    text = "Firma (KRS 0000123456), PKD 2007: 71.12.Z; tel. 58 123 45 67; NACE Rev. 2 C28.25."
    mentions = find_codes(text)
    assert [text[m.start : m.end] for m in mentions] == ["71.12.Z", "C28.25"]
    assert all(isinstance(m, CodeMention) and 0 <= m.start < m.end <= len(text) for m in mentions)


def test_mentions_come_in_text_order_without_repeats() -> None:
    text = "63.11.Z hosting. Przeważające PKD: 62.01.Z, 62.02.Z. NACE 62.01"
    mentions = find_codes(text)
    assert [m.code for m in mentions] == ["63.11.Z", "62.01.Z", "62.02.Z", "62.01"]
    assert [m.start for m in mentions] == sorted(m.start for m in mentions)


# -- find_codes: what does not count ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "12.50 zł",
        "Cena: 12.50 zł netto",
        "Price EUR 12.50 per unit",
        "€ 12.50",
        "$35.11 per hour",
        "01.02.2024",
        "Termin: 15.06.",
        "Proszą o kontakt do 15.06.",
        "spotkanie 12.05 o 10.30",
        "Data wpisu do rejestru: 14.05.2008.",
        "3.5%",
        "35.11%",
        "wzrost o 12.50 %",
        "tel. 58 123 45 67",
        "tel. +48 58 123 45 67, fax 58 123 45 68",
        "version 2.10",
        "wersja 10.12",
        "v10.12.Z",
        "Python 3.11 and Django 4.2",
        "IP 192.168.10.12",
        "10.12.13.14",
        "Temperatura 21.50 st. C",
        "ok. 12.50 m2 powierzchni",
        "Odległość 35.11 km",
        "Rok obrotowy 2023/2024, przychód 62.01 mln zł",
        "PKWiU 62.01.11.0",
        "ul. Długa 12.05 A",
        "Coating inspectors (FROSIO/NACE) for dry-docking",
        "our inspectors with NACE and FROSIO certificates",
        "NACE Level 2 coating inspector",
        "PKD 2020 r.",
        "Zmiana PKD 12.05.2024",
        "PKD: brak, działamy od 12.05",
        "ISO 9001:2015, EN 1090-2",
        "X12.50 and C10.50 zł",
        "Beton C30/37, stal B500SP",
        "PKD 04.11",
        "62.01",
        "Section 28.25 of the contract",
        "Kod pocztowy 80-233 Gdańsk, NIP 584-025-35-11",
        "PKD ٦٢.٠١",  # digits of another script
    ],
)
def test_numbers_that_are_not_codes(text: str) -> None:
    assert find_codes(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PKD 62.01, cena 12.50 zł", ["62.01"]),
        ("PKD 62.01, 12.50 zł", ["62.01"]),
        ("PKD 62.01 jest główny, 12.05 to data", ["62.01"]),
        ("PKD 62.01 i 12.05.2024", ["62.01"]),
        ("PKD 62.01, 12 employees", ["62.01"]),
        ("PKD 62.01; 500 PLN", ["62.01"]),
        ("Kody PKD:\n62.01 Programowanie\n\n12.05 spotkanie", ["62.01"]),
        ("godz. 10.30, PKD 41.20", ["41.20"]),
        ("PKD 62 123 45 67", []),
    ],
)
def test_numbers_next_to_codes_stay_out(text: str, expected: list[str]) -> None:
    assert [m.code for m in find_codes(text)] == expected


def test_texts_without_codes_give_nothing() -> None:
    assert find_codes("") == []
    assert find_codes("Budujemy statki w Gdańsku od 1945 roku, 1200 pracowników, 3 doki.") == []


# -- normalize_code ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "norm"),
    [
        ("62.01.Z", "62.01.Z"),
        (" 62.01 Z ", "62.01.Z"),
        ("6201Z", "62.01.Z"),
        ("62.01.z", "62.01.Z"),
        ("C28.25", "28.25"),
        ("28.2", "28.2"),
        ("62", "62"),
    ],
)
def test_normalize_code(written: str, norm: str) -> None:
    assert normalize_code(written) == norm


@pytest.mark.parametrize("bad", ["", "62.01.11", "6.2", "abc", "04.11", "62.001", "PKD 62.01"])
def test_normalize_code_rejects_what_is_no_code(bad: str) -> None:
    with pytest.raises(ValueError, match="code"):
        normalize_code(bad)
