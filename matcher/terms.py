"""Word stems of catalogue terms: which words a passage shares with a cluster's terms, and which
terms are inflected forms of one another."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from matcher.catalogue import Catalogue

_WORD = re.compile(r"\w+", re.UNICODE)
#: Letters a short word may end in that are only its inflection ("pompy", "pompa" -> "pomp";
#: "pumps" -> "pump").
_SHORT_ENDINGS = frozenset("aeiouyąęs")
#: Polish plural endings, cut off a word before it is shortened ("sklepów", "sklepach" -> "sklep").
_PLURAL_ENDINGS = ("ach", "ami", "ów")

#: Length of a word's long stem: two words that share their first nine letters are one word
#: inflected ("elektroniki", "elektronika"), even where their six-letter stems are shared by words
#: of other sectors ("elektrownie").
LONG_STEM = 9
#: Words of four letters or more that say nothing of a sector (function words, company boilerplate,
#: sizes and sales, English and Polish): they never tie a profile to a cluster.
STOPWORDS = frozenset(
    """
    about also been before being both from have here into just like many more most much only other
    over same some such than that their them then there these they this those through under very were
    what when where which while will with within without would your ours company companies firm
    offer offers provide provides providing including based years year clients customers small large
    medium modern various local national international global leading sales service services
    albo będzie bardzo była były było gdzie jako jego jest jesteśmy jeśli kiedy które który
    która których między może nasz nasza nasze naszych naszym oraz ponad poprzez przez przy
    również sobie swoje także tego tych tylko wiele wszystkie więc zajmujemy oferujemy firma firmy
    firmą spółka spółki klientów klienci klientom roku latach lata mała małe małych duża duże dużych
    nowe nowych nowoczesne różne lokalne sprzedaż sprzedaży serwis serwisu
    """.split()
)


def stem(word: str) -> str:
    """A crude stem of one word, lowercased: its first six letters, after a Polish plural ending
    ("-ów", "-ach", "-ami") is cut off; a word of five or six letters also loses a final vowel or
    ``s``. Words of fewer than four letters keep their form.

    >>> [stem(w) for w in ("sklep", "sklepy", "sklepów", "sklepach", "chłodnictwo", "pumps")]
    ['sklep', 'sklep', 'sklep', 'sklep', 'chłodn', 'pump']
    """
    w = word.lower()
    for ending in _PLURAL_ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= 4:
            w = w[: -len(ending)]
            break
    if 5 <= len(w) <= 6 and w[-1] in _SHORT_ENDINGS:
        return w[:-1]
    return w[:6]


def words(text: str) -> Iterator[tuple[str, int, int]]:
    """The words of ``text`` with their character offsets: ``(word, start, end)``."""
    for m in _WORD.finditer(text):
        yield m.group(), m.start(), m.end()


def word_stems(word: str) -> set[str]:
    """A word's :func:`stem` and, for a word of :data:`LONG_STEM` letters or more, its long stem
    (its first nine letters); none for a word of fewer than four letters or a stop word."""
    w = word.lower()
    if len(w) < 4 or w in STOPWORDS:
        return set()
    return {stem(w), w[:LONG_STEM]} if len(w) >= LONG_STEM else {stem(w)}


def stems(text: str) -> set[str]:
    """The :func:`word_stems` of the words of ``text``.

    Enough to tie Polish inflections together ("chłodnictwo", "chłodnictwa" -> "chłodn").
    """
    return {s for w, _, _ in words(text) for s in word_stems(w)}


def term_key(term: str) -> frozenset[str]:
    """What a term is about, regardless of inflection: the stems of its words of three letters or
    more ("chłodnictwo", "chłodnictwa" -> ``{"chłodn"}``; "CO2 refrigeration" keeps ``"co2"``)."""
    key = frozenset(stem(w) for w, _, _ in words(term) if len(w) >= 3)
    return key or frozenset({term.lower()})


def dedupe_terms(terms: Iterable[str]) -> list[str]:
    """The first term of each :func:`term_key` group, in order. Catalogues list the plain form of
    a term before its inflections ("chłodnictwo", "chłodnictwa"; "refrigeration", "refrigerant")."""
    groups: dict[frozenset[str], str] = {}
    for term in terms:
        groups.setdefault(term_key(term), term)
    return list(groups.values())


def generic_stems(catalogue: Catalogue) -> set[str]:
    """Word stems that occur in the terms of more than one cluster ('industry', 'systems'...)."""
    seen: dict[str, set[str]] = {}
    for cluster in catalogue:
        for term in cluster.term_list():
            for s in stems(term):
                seen.setdefault(s, set()).add(cluster.id)
    return {s for s, owners in seen.items() if len(owners) > 1}
