"""Plain-text helpers: passages with offsets, and a light English/Polish language guess."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PL_CHARS = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_PL_WORDS = frozenset(
    "i w na z do się jest są oraz dla nie że to jak od po przez przy jesteśmy firma firmy "
    "naszych nasza nasz nasze oferujemy zajmujemy się ze lub także również który która które "
    "dzień dobry szukamy współpracy sp zo o".split()
)
_EN_WORDS = frozenset("the and of to in for with we our is are a an on as by from that this which us at".split())
# A passage ends at . ! ? ; or a newline, or a bullet; the punctuation stays with its passage.
_BOUNDARY = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|\s+[•·–-]\s+(?=\S)")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    start: int
    end: int


def detect_lang(text: str) -> str:
    """Guess ``"pl"`` or ``"en"`` from diacritics and function words (good enough for routing)."""
    words = [w.lower() for w in _WORD.findall(text)]
    pl = sum(w in _PL_WORDS for w in words) + 2 * sum(ch in _PL_CHARS for ch in text)
    en = sum(w in _EN_WORDS for w in words)
    return "pl" if pl > en else "en"


def split_passages(text: str, *, max_words: int = 40) -> list[Passage]:
    """Split ``text`` into sentence-like passages with their character offsets.

    Long comma lists are cut into chunks of at most ``max_words`` words so that one passage
    stays about one topic.
    """
    passages: list[Passage] = []
    pos = 0
    for piece in [*_BOUNDARY.split(text), None]:
        if piece is None:
            break
        start = text.find(piece, pos) if piece else pos
        if start < 0:
            continue
        end = start + len(piece)
        pos = end
        passages.extend(_chunk(text, start, end, max_words))
    return [p for p in passages if _WORD.search(p.text)]


def _chunk(text: str, start: int, end: int, max_words: int) -> list[Passage]:
    piece = text[start:end].strip()
    if not piece:
        return []
    start = text.find(piece, start)
    if len(piece.split()) <= max_words:
        return [Passage(piece, start, start + len(piece))]
    out: list[Passage] = []
    cursor = start
    buf_start = start
    words = 0
    for m in re.finditer(r"[^,]+,?", piece):
        words += len(m.group().split())
        cursor = start + m.end()
        if words >= max_words // 2:
            chunk = text[buf_start:cursor].strip()
            if chunk:
                s = text.find(chunk, buf_start)
                out.append(Passage(chunk, s, s + len(chunk)))
            buf_start, words = cursor, 0
    rest = text[buf_start : start + len(piece)].strip()
    if rest:
        s = text.find(rest, buf_start)
        out.append(Passage(rest, s, s + len(rest)))
    return out
