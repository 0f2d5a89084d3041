"""Word stems of catalogue terms: which words a passage shares with a cluster's terms."""

from __future__ import annotations

import re

from matcher.catalogue import Catalogue

_WORD = re.compile(r"\w{4,}", re.UNICODE)


def stems(text: str) -> set[str]:
    """Crude stems (the first six letters of each word of four letters or more), lowercased.

    Enough to tie Polish inflections together ("chłodnictwo", "chłodnictwa" -> "chłodn").
    """
    return {w[:6] for w in _WORD.findall(text.lower())}


def generic_stems(catalogue: Catalogue) -> set[str]:
    """Word stems that occur in the terms of more than one cluster ('industry', 'systems'...)."""
    seen: dict[str, set[str]] = {}
    for cluster in catalogue:
        for term in cluster.term_list():
            for stem in stems(term):
                seen.setdefault(stem, set()).add(cluster.id)
    return {stem for stem, owners in seen.items() if len(owners) > 1}
