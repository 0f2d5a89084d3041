"""Plain-text helpers: passages with offsets, and which of English and Polish a text is in."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from py3langid.langid import MODEL_FILE, LanguageIdentifier

#: The languages the matcher routes; a text is always one of them.
LANGUAGES = ("en", "pl")
# A passage ends at . ! ? ; or a newline, or a bullet; the punctuation stays with its passage.
_BOUNDARY = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*|\s+[•·–-]\s+(?=\S)")
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Passage:
    text: str
    start: int
    end: int


@functools.cache
def _identifier() -> LanguageIdentifier:
    """py3langid's byte n-gram model (shipped inside its wheel), limited to :data:`LANGUAGES`."""
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def load_language_model() -> None:
    """Load the language model now (about a second) instead of at the first :func:`detect_lang`."""
    _identifier()


def detect_lang(text: str) -> str:
    """``"pl"`` or ``"en"``: whichever of the two the text is more likely written in.

    A Polish place name in an English sentence ("Two-person indie studio, Słupsk") stays English,
    and Polish typed without diacritics is still Polish.
    """
    return str(_identifier().classify(text)[0])


_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


def count_words(text: str) -> int:
    """Runs of letters in ``text`` (numbers and symbols are not words)."""
    return len(_LETTERS.findall(text))


def is_valid_unicode(text: str) -> bool:
    """False for a string holding a lone surrogate (from a JSON ``\\ud800`` escape or undecodable
    bytes in a command-line argument): it cannot be encoded, stored or embedded."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
