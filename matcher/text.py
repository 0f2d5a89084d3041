"""Plain-text helpers: passages with offsets, which of English and Polish a text is in, and
whether it is in neither."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
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
def _any_language_identifier() -> LanguageIdentifier:
    """py3langid's byte n-gram model (shipped inside its wheel) over all of its 97 languages, with
    probabilities that sum to one."""
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


@functools.cache
def _identifier() -> LanguageIdentifier:
    """The same model, read once, limited to :data:`LANGUAGES` (with raw scores: only the winner counts)."""
    full = _any_language_identifier()
    identifier = LanguageIdentifier(
        full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output, tk_row=full.tk_row
    )
    identifier.set_languages(list(LANGUAGES))  # a new, narrower view: the full model is left as it was
    return identifier


def load_language_model() -> None:
    """Load the language model now (about a second) instead of at first use."""
    _identifier()


def detect_lang(text: str) -> str:
    """``"pl"`` or ``"en"``: whichever of the two the text is more likely written in.

    A Polish place name in an English sentence ("Two-person indie studio, Słupsk") stays English,
    and Polish typed without diacritics is still Polish.
    """
    return str(_identifier().classify(text)[0])


#: A text is called neither English nor Polish when the two languages together have at most this
#: probability. On the 6,426 labelled profiles in ``data/`` (all English or Polish) they never have
#: less than 0.08, even for a line of English jargon; German, French or Latin sentences get 0.001 or less.
FOREIGN_AT_MOST = 0.01
# Names for the languages an inquiry to a Pomeranian university is likeliest to come in.
_NAMES = {
    "be": "Belarusian", "cs": "Czech", "da": "Danish", "de": "German", "es": "Spanish", "et": "Estonian",
    "fi": "Finnish", "fr": "French", "it": "Italian", "la": "Latin", "lt": "Lithuanian", "lv": "Latvian",
    "nl": "Dutch", "no": "Norwegian", "pt": "Portuguese", "ru": "Russian", "sk": "Slovak", "sv": "Swedish",
    "uk": "Ukrainian",
}  # fmt: skip


def foreign_language(text: str) -> str | None:
    """The name (or ISO 639-1 code) of the language ``text`` is likeliest written in, when it is
    clearly neither English nor Polish; ``None`` otherwise, and for texts too short to tell."""
    ranked = _any_language_identifier().rank(text)
    if sum(prob for lang, prob in ranked if lang in LANGUAGES) > FOREIGN_AT_MOST:
        return None
    code = str(ranked[0][0])
    return _NAMES.get(code, code)


_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)


def count_words(text: str) -> int:
    """Runs of letters in ``text`` (numbers and symbols are not words)."""
    return len(_LETTERS.findall(text))


#: Characters that take no room on the page and are not whitespace to ``str.strip``: NUL, the soft
#: hyphen, the Mongolian vowel separator, zero-width space, non-joiner and joiner, word joiner, and BOM.
INVISIBLE = "\x00\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
_NO_INVISIBLE = str.maketrans("", "", INVISIBLE)


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: only whitespace and :data:`INVISIBLE` characters."""
    return not text.translate(_NO_INVISIBLE).strip()


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


def check_texts(texts: Sequence[str]) -> list[str]:
    """``texts`` as a list, or a clear error: one string instead of a sequence, a non-string, a blank text."""
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string; use match() for one")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] must be a string, not {type(t).__name__}")
        if is_blank(t):
            raise ValueError(f"texts[{i}] is empty: a profile needs some text")
    return out
