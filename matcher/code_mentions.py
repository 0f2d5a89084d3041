"""Finding activity codes (PKD 2007, PKD 2025, NACE Rev. 2 and Rev. 2.1) in a text.

Register extracts, tenders and EU forms describe a company by its activity codes: ``62.01.Z``,
``PKD 28.25``, ``NACE Rev. 2 C28.25``. :func:`find_codes` finds them with their character offsets, and
nothing else that looks like ``dd.dd`` (prices, dates, phone numbers, percentages, versions): a bare
number counts only next to the word PKD or NACE, or with a subclass letter (``62.01.Z``) or the letter
of its NACE section (``M72.11``). A mention carries the scheme the text named, since some numbers changed
meaning in 2025; :mod:`matcher.activity_codes` reads the codes it finds.

A leaf module: the standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["MENTION_SCHEMES", "SCHEME_VERSIONS", "UNUSED_DIVISIONS", "CodeMention", "find_codes", "normalize_code"]

#: The classification year each scheme of a mention names (PKD 2007 = NACE Rev. 2, PKD 2025 = NACE Rev. 2.1);
#: ``None`` when the text leaves the version open (``"pkd"``, ``"nace"``: a bare ``62.01.Z`` is ``"pkd"``).
SCHEME_VERSIONS: dict[str, str | None] = {
    "pkd": None, "pkd2004": "2004", "pkd2007": "2007", "pkd2025": "2025",
    "nace": None, "nace1.1": "2004", "nace2": "2007", "nace2.1": "2025",
}  # fmt: skip
#: Schemes of a mention: the classification the text named. PKD 2004 and NACE Rev. 1.1 are recognised but
#: have no mapping.
MENTION_SCHEMES = tuple(SCHEME_VERSIONS)
#: Two-digit numbers that are no division of NACE Rev. 2 or Rev. 2.1 (45 exists in Rev. 2 only).
UNUSED_DIVISIONS = frozenset({0, 4, 34, 40, 44, 48, 54, 57, 67, 76, 83, 89})
# Section letters and their divisions: NACE Rev. 2 (= PKD 2007) and NACE Rev. 2.1 (= PKD 2025), which splits
# section J in two and so shifts every later letter by one.
_SECTIONS = {
    "2007": {
        "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43), "G": (45, 47),
        "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68), "M": (69, 75), "N": (77, 82),
        "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93), "S": (94, 96), "T": (97, 98), "U": (99, 99),
    },
    "2025": {
        "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43), "G": (46, 47),
        "H": (49, 53), "I": (55, 56), "J": (58, 60), "K": (61, 63), "L": (64, 66), "M": (68, 68), "N": (69, 75),
        "O": (77, 82), "P": (84, 84), "Q": (85, 85), "R": (86, 88), "S": (90, 93), "T": (94, 96), "U": (97, 98),
        "V": (99, 99),
    },
}  # fmt: skip

# The number: 28.25 / 28.2 with an optional subclass letter (62.01.Z, 62.01Z, 62.01 Z). Subclass letters in
# use run from A to F, and Z for a class that is not divided; a letter after a space must be a capital
# ("12.50 z VAT" is a price).
_DOTTED = (
    r"(?P<div>[0-9]{2})\.(?P<rest>[0-9]{1,2})(?![0-9])"
    r"(?:\.(?P<dotletter>[A-Ha-hZz])|(?P<letter>[A-HZ])|\x20(?P<spaceletter>[A-HZ]))?"
)
_NOT_INSIDE = r"(?<![\w.,+-])"  # not inside a word, a longer number, a date, an address or a range
_END = r"(?![^\W_])"  # and not followed by a letter or digit
# With PKD or NACE in front, also a section letter (C28.25, C.28.25), a division (PKD 62) and the
# compact register form (6201Z).
_CODE = re.compile(
    _NOT_INSIDE
    + r"(?:(?P<section>[A-V])(?:\.|\x20)?(?=[0-9]))?"
    + r"(?:"
    + _DOTTED
    + r"|(?P<cdiv>[0-9]{2})(?P<crest>[0-9]{2})(?P<cletter>[A-HZ])"
    + r"|(?P<ddiv>[0-9]{2})(?![0-9]|[.,][0-9]|\x20[0-9])"
    + r")"
    + _END
)
_STANDALONE = re.compile(_NOT_INSIDE + _DOTTED + _END)
# A section letter glued to the number (M72.11, C.28.25) marks a NACE code by itself, when it is the section
# of that division.
_SECTIONED = re.compile(_NOT_INSIDE + r"[A-V]\.?" + _DOTTED + _END)
_MARKER = re.compile(
    r"(?<![^\W\d_])(?:"
    r"(?P<pkd>PKD)(?:[\x20\t-]*\(?(?P<year>2004|2007|2025)\)?(?!\d))?"
    r"|(?P<nace>NACE)(?:[\x20\t-]*(?:Rev(?:ision|\.)?[\x20\t]*)?(?P<rev>2\.1|1\.1|2)(?!\d|\.\d))?"
    r")(?![^\W\d_])",
    re.IGNORECASE,
)
# Words that may stand between PKD/NACE and the code: "Kod PKD przeważającej działalności: 62.01.Z",
# "NACE code is 33.15", "PKD 2007: 71.12.Z".
_GAP_WORDS = (
    "kod", "kody", "kodu", "kodem", "kodami", "kodów", "kodach", "code", "codes", "class", "classes", "klasa",
    "klasy", "klasie", "subclass", "podklasa", "podklasy", "podklasie", "group", "grupa", "grupy", "division",
    "dział", "działu", "section", "sekcja", "sekcji", "no", "nr", "number", "numer", "is", "are", "was",
    "to", "jest", "są", "main", "primary", "principal", "other", "secondary", "główny", "główna", "głównym",
    "przeważający", "przeważająca", "przeważające", "przeważającej", "przeważającym", "pozostałe",
    "dodatkowe", "działalności", "działalność", "activity", "activities", "of", "the", "our", "a",
    "według", "wg", "rev", "revision", "see", "np", "e\\.g", "eg", "i\\.e", "ie", "czyli", "incl",
    "including", "tj", "in", "w", "under", "pkd", "nace",
)  # fmt: skip
_GAP = re.compile(
    r"(?:[\s:;,=/()\[\]–—-]|(?:" + "|".join(_GAP_WORDS) + r")(?![^\W\d_])\.?){0,12}",
    re.IGNORECASE,
)
# After a code: the next one of a list. "62.01, 62.02 i 63.11", "62.01 (software); 62.02",
# "62.01 – programming, 62.02 – consultancy", or one code a line.
_LIST_SEP = re.compile(
    r"(?:[\x20\t]*\([^()\n]{0,100}\))?"
    r"(?:[\x20\t]*[–—-][\x20\t]*[^\W\d_][^\d\n,;()]{0,100}?)?"
    r"[\x20\t]*(?:[,;/&+]|(?<![^\W\d_])(?:i|oraz|and|or|lub|albo|as\x20well\x20as|a\x20także)(?![^\W\d_]))"
    r"[\x20\t]*",
    re.IGNORECASE,
)
_LIST_LINE = re.compile(r"[^\d\n]{0,100}\n[\x20\t]*(?:[•·*–—-]|\d{1,2}[.)](?=\s))?[\x20\t]*")
_TRAILING_MARKER = re.compile(r"[\x20\t]*[(\[]?[\x20\t]*(?:(?:wg|według|under|in)[\x20\t]+)?")
# A number that is an amount: a unit or currency right after it, or a currency right before it.
_UNIT_AFTER = re.compile(
    r"[\x20\t]*(?:[%‰°€$£]|(?:zł|zl|pln|eur|euro|usd|gbp|chf|mln|mld|tys|proc|procent|percent|r\.|roku|rok|h|"
    r"godz|min|km|kg|m2|m²|m3|m|cm|mm|kw|kwh|mw|mwh|gw|gwh|kv)(?![^\W\d_]))",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:[€$£]|(?<![^\W\d_])(?:eur|pln|usd|gbp|chf|zł))[\x20\t]*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CodeMention:
    """An activity code found in a text.

    ``code`` is normalised (``"62.01.Z"``, ``"28.25"``, ``"28.2"``, ``"62"``: no section letter, the
    subclass letter in capitals after a dot); ``text[start:end]`` is the code as written; ``scheme`` is one
    of :data:`MENTION_SCHEMES`.
    """

    code: str
    start: int
    end: int
    scheme: str


def find_codes(text: str) -> list[CodeMention]:
    """The activity codes cited in ``text``, in order of appearance.

    A number counts as a code when it follows the word PKD or NACE (``"PKD 28.25"``, ``"Kod PKD: 43.22.Z"``,
    ``"NACE Rev. 2 C28.25"``, ``"PKD 62"``), continues a list that one began (``"PKD 62.01, 62.02 i
    63.11"``), is followed by it (``"33.15 (NACE)"``), carries a subclass letter (``"62.01.Z"``,
    ``"62.01 Z"``) or the letter of its NACE section (``"M72.11"``). Dates, prices, decimals, versions and
    phone numbers do not count, nor does a number whose first two digits are no NACE division.

    Example:
        >>> [(m.code, m.scheme) for m in find_codes("Kody PKD: 62.01.Z, 62.02; NACE Rev. 2 C28.25")]
        [('62.01.Z', 'pkd'), ('62.02', 'pkd'), ('28.25', 'nace2')]
        >>> find_codes("Cena 12.50 zł, termin 01.02.2024, tel. 58 123 45 67")
        []
    """
    found: dict[int, CodeMention] = {}
    taken = bytearray(len(text))  # 1 where a code already found stands

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def keep(mention: CodeMention | None) -> None:
        """Keep ``mention`` and the list it begins, up to the first code that is missing or already taken."""
        while mention is not None and free(mention.start, mention.end):
            found[mention.start] = mention
            taken[mention.start : mention.end] = b"\x01" * (mention.end - mention.start)
            mention = _next_in_list(text, mention)

    for marker in _MARKER.finditer(text):
        gap = _GAP.match(text, marker.end())
        keep(_code_at(text, gap.end() if gap else marker.end(), _marker_scheme(marker)))
    for match in _SECTIONED.finditer(text):
        if free(match.start(), match.end()):
            keep(_code_at(text, match.start(), "nace", strict_section=True))
    for match in _STANDALONE.finditer(text):
        if not free(match.start(), match.end()) or match.group("spaceletter") not in (None, "Z"):
            continue  # "12.05 A": without PKD or NACE nearby, only "62.01 Z" passes for a code
        mention = _code_at(text, match.start(), "pkd")
        if mention is None:
            continue
        trailing = _trailing_scheme(text, mention.end)
        if trailing is not None or mention.code.count(".") == 2:  # named after it, or with a subclass letter
            keep(replace(mention, scheme=trailing or "pkd"))
    return sorted(found.values(), key=lambda m: m.start)


def normalize_code(code: str) -> str:
    """``"62.01.Z"``, ``"28.25"``, ``"28.2"`` or ``"62"`` from a code as people write it.

    Accepts a section letter (``"C28.25"``), a spaced or glued subclass letter (``"62.01 Z"``,
    ``"6201Z"``) and surrounding whitespace; raises :class:`ValueError` for anything else, including a
    number whose first two digits are no NACE division.
    """
    match = _CODE.fullmatch(code.strip())
    mention = _mention_from(match, "pkd") if match else None
    if mention is None:
        raise ValueError(f"code: {code!r} is not an activity code (expected e.g. '62.01.Z', '28.25', '28.2' or '62')")
    return mention.code


def _code_at(text: str, pos: int, scheme: str, *, strict_section: bool = False) -> CodeMention | None:
    match = _CODE.match(text, pos)
    mention = _mention_from(match, scheme, strict_section=strict_section) if match else None
    if mention is None or _is_amount(text, mention.start, mention.end):
        return None
    if text.startswith((".", ","), mention.end) and text[mention.end + 1 : mention.end + 2].isdigit():
        return None  # 01.02.2024, 62.01.11.0 (a PKWiU product code), 28,25,5
    return mention


def _mention_from(match: re.Match[str], scheme: str, *, strict_section: bool = False) -> CodeMention | None:
    """The mention a match of :data:`_CODE` stands for; ``None`` for no NACE division.

    A section letter that fits the division in only one classification settles the version of an
    unversioned scheme (J62.01 is NACE Rev. 2, K62.10 NACE Rev. 2.1); with ``strict_section`` a letter
    that fits in neither rejects the match.
    """
    groups = match.groupdict()
    if groups["div"] is not None:
        div, rest = groups["div"], groups["rest"]
        letter = groups["dotletter"] or groups["letter"] or groups["spaceletter"]
        code = f"{div}.{rest}" + (f".{letter.upper()}" if letter else "")
    elif groups["cdiv"] is not None:
        div = groups["cdiv"]
        code = f"{div}.{groups['crest']}.{groups['cletter']}"
    else:
        div = code = groups["ddiv"]
    if int(div) in UNUSED_DIVISIONS:
        return None
    section = groups["section"]
    if section is not None:
        fits = [v for v, table in _SECTIONS.items() if section in table and _within(int(div), table[section])]
        if strict_section and not fits:
            return None
        if len(fits) == 1 and SCHEME_VERSIONS.get(scheme, "") is None:
            scheme = {"pkd": f"pkd{fits[0]}", "nace": "nace2" if fits[0] == "2007" else "nace2.1"}[scheme]
    elif strict_section:
        return None
    return CodeMention(code, match.start(), match.end(), scheme)


def _within(value: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _next_in_list(text: str, previous: CodeMention) -> CodeMention | None:
    family = "nace" if previous.scheme.startswith("nace") else "pkd"
    for pattern in (_LIST_SEP, _LIST_LINE):
        sep = pattern.match(text, previous.end)
        mention = _code_at(text, sep.end(), family) if sep else None
        if mention is None:
            continue
        if mention.scheme == family:  # its own section letter did not settle the version: the list's holds
            mention = replace(mention, scheme=previous.scheme)
        if "." not in mention.code and "." in previous.code:
            continue  # "PKD 62.01, 12 employees": a bare division only continues a list of divisions
        return mention
    return None


def _marker_scheme(marker: re.Match[str]) -> str:
    if marker.group("pkd"):
        return "pkd" + (marker.group("year") or "")
    return "nace" + (marker.group("rev") or "")


def _trailing_scheme(text: str, end: int) -> str | None:
    lead = _TRAILING_MARKER.match(text, end)
    marker = _MARKER.match(text, lead.end() if lead else end)
    return _marker_scheme(marker) if marker else None


def _is_amount(text: str, start: int, end: int) -> bool:
    return bool(_UNIT_AFTER.match(text, end) or _CURRENCY_BEFORE.search(text, max(0, start - 8), start))
