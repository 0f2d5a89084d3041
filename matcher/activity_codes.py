"""Activity codes (PKD 2007, PKD 2025, NACE Rev. 2 and Rev. 2.1) and the clusters they point at.

:class:`ActivityCodes`, read from ``data/activity-codes/pkd.json``, says which clusters a code points at
and how strongly; ``data/activity-codes/README.md`` documents the file and the mapping rules. Finding the
codes in a text is :mod:`matcher.code_mentions`; its public names are re-exported here.

PKD 2007 agrees with NACE Rev. 2, and PKD 2025 with NACE Rev. 2.1, down to the four-digit class; PKD adds
a fifth level, the subclass letter. Some numbers changed meaning in 2025 (35.12 was transmission of
electricity and is now production from renewable sources), so a mention carries the scheme the text
named, and a code is read in that classification, or in PKD 2007 when the text does not say.

Numpy, the standard library and :mod:`matcher.code_mentions` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from matcher.code_mentions import (
    MENTION_SCHEMES,
    SCHEME_VERSIONS,
    UNUSED_DIVISIONS,
    CodeMention,
    find_codes,
    normalize_code,
)
from matcher.jsonfile import read_json

__all__ = [
    "DEFAULT_PATH",
    "ENTRY_SCHEMES",
    "MENTION_SCHEMES",
    "ActivityCode",
    "ActivityCodes",
    "ActivityCodesError",
    "CodeMention",
    "CodeVector",
    "activity_codes_from_dict",
    "describe",
    "find_codes",
    "load_activity_codes",
    "normalize_code",
]

#: The bundled mapping from activity codes to clusters.
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "activity-codes" / "pkd.json"
#: Schemes of the data file's entries: a code that means the same in both classifications, or in one.
ENTRY_SCHEMES = ("both", "pkd2007", "pkd2025")
LANGS = ("en", "pl")
SUPPORTED_VERSIONS = ("1",)

_LABEL = {
    "pkd": "PKD", "pkd2004": "PKD 2004", "pkd2007": "PKD 2007", "pkd2025": "PKD 2025",
    "nace": "NACE", "nace1.1": "NACE Rev. 1.1", "nace2": "NACE Rev. 2", "nace2.1": "NACE Rev. 2.1",
}  # fmt: skip
_LEVEL_NAMES = {
    "en": {"division": "division", "group": "group", "class": "class", "subclass": "subclass"},
    "pl": {"division": "dział", "group": "grupa", "class": "klasa", "subclass": "podklasa"},
}
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")
_CANONICAL = re.compile(r"[0-9]{2}(?:\.[0-9](?:[0-9](?:\.[A-Z])?)?)?")


def _level(code: str) -> str:
    parts = code.split(".")
    if len(parts) == 1:
        return "division"
    if len(parts) == 3:
        return "subclass"
    return "group" if len(parts[1]) == 1 else "class"


def _ancestors(code: str) -> list[str]:
    """The normalised code and the levels above it, most specific first: 52.24.A, 52.24, 52.2, 52."""
    return [code[:n] for n in (7, 5, 4, 2) if n <= len(code)]


# --- the mapping -----------------------------------------------------------------------------------------


class ActivityCodesError(ValueError):
    """An activity-code file that cannot be used; the message names the file, the entry and the field."""


@dataclass(frozen=True, slots=True)
class ActivityCode:
    """One entry of the mapping: a code at some level, its names, and the clusters it points at.

    ``clusters`` maps cluster ids to weights in (0, 1]; it is empty for an entry that only says "no
    cluster" below a parent that has one.
    """

    code: str
    name: Mapping[str, str]
    clusters: Mapping[str, float]
    scheme: str = "both"
    note: str | None = None

    @property
    def level(self) -> str:
        """``"division"``, ``"group"``, ``"class"`` or ``"subclass"``."""
        return _level(self.code)

    def label(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name["en"]


class CodeVector(NamedTuple):
    """What a text's activity codes say about the clusters.

    ``scores`` has shape ``(n_clusters,)``, in the order of the ``cluster_ids`` asked for; ``cited`` is
    true when the text cites any activity code at all, mapped or not (a text that cites only codes of no
    cluster is evidence that it belongs to none).
    """

    scores: npt.NDArray[np.float64]
    cited: bool


@dataclass(frozen=True)
class ActivityCodes:
    """The mapping from activity codes to clusters, with lookups that fall back from class to group to division.

    Example:
        >>> codes = load_activity_codes()
        >>> codes.lookup("28.25.Z").clusters
        {'hvac': 1.0}
        >>> codes.vector("PKD 43.22.Z", ["hvac", "construction"]).scores
        array([1. , 0.5])
    """

    codes: tuple[ActivityCode, ...]
    version: str = "1"
    source: str = "<memory>"
    #: PKD 2007 classes divided into lettered subclasses (all others have the one subclass ``.Z``); used
    #: to tell a PKD 2025 subclass such as ``35.12.B`` from a PKD 2007 one when the text names no version.
    pkd2007_lettered_classes: frozenset[str] = frozenset()
    _index: dict[str, dict[str, ActivityCode]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, dict[str, ActivityCode]] = {}
        for entry in self.codes:
            by_scheme = index.setdefault(entry.code, {})
            if entry.scheme in by_scheme or "both" in by_scheme or (entry.scheme == "both" and by_scheme):
                raise ActivityCodesError(
                    f"{self.source}: code {entry.code!r} is listed twice for the same classification "
                    f"(schemes {sorted([*by_scheme, entry.scheme])})"
                )
            by_scheme[entry.scheme] = entry
        object.__setattr__(self, "_index", index)

    def __iter__(self) -> Iterator[ActivityCode]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def cluster_ids(self) -> tuple[str, ...]:
        """Every cluster some entry points at, in order of first appearance."""
        return tuple(dict.fromkeys(cid for entry in self.codes for cid in entry.clusters))

    def for_cluster(self, cluster_id: str) -> tuple[ActivityCode, ...]:
        """The entries that point at ``cluster_id``."""
        return tuple(entry for entry in self.codes if cluster_id in entry.clusters)

    def lookup(self, code: str, scheme: str | None = None) -> ActivityCode | None:
        """The most specific entry for ``code``: its subclass, else its class, group or division.

        ``scheme`` (one of :data:`MENTION_SCHEMES`) picks the classification: ``"pkd2025"`` or
        ``"nace2.1"`` read the code in PKD 2025, ``"pkd2007"`` or ``"nace2"`` in PKD 2007. Without a version,
        a subclass letter can settle it (``35.12.B`` exists only in PKD 2025); otherwise a number that means
        different things in the two is read in PKD 2007. Codes of PKD 2004 / NACE Rev. 1.1 have no mapping.
        ``None`` when no level of the code is listed. Raises :class:`ValueError` for a malformed code or
        an unknown scheme.
        """
        norm = normalize_code(code)
        if scheme is not None and scheme not in SCHEME_VERSIONS:
            raise ValueError(f"scheme: {scheme!r} is not one of {', '.join(MENTION_SCHEMES)}")
        version = SCHEME_VERSIONS[scheme] if scheme is not None else None
        if version is None:
            version = self._infer_version(norm)
        if version not in (None, "2007", "2025"):
            return None
        entries = (self._pick(candidate, version) for candidate in _ancestors(norm))
        return next((entry for entry in entries if entry is not None), None)

    def resolve(self, text: str) -> list[tuple[CodeMention, ActivityCode | None]]:
        """Every code cited in ``text`` with its entry (``None`` for a code of no listed level)."""
        return [(mention, self.lookup(mention.code, mention.scheme)) for mention in find_codes(text)]

    def evidence(
        self, text: str, cluster_ids: Sequence[str]
    ) -> dict[str, list[tuple[CodeMention, ActivityCode, float]]]:
        """Per cluster of ``cluster_ids``, the mentions in ``text`` that point at it, with their weights.

        Only clusters with at least one mention are keys, in the order of ``cluster_ids``; each list is in
        text order. Clusters of the data that are not in ``cluster_ids`` are ignored.
        """
        ids = _check_cluster_ids(cluster_ids)
        out: dict[str, list[tuple[CodeMention, ActivityCode, float]]] = {cid: [] for cid in ids}
        for mention, entry in self.resolve(text):
            if entry is None:
                continue
            for cid, weight in entry.clusters.items():
                if cid in out:
                    out[cid].append((mention, entry, weight))
        return {cid: hits for cid, hits in out.items() if hits}

    def vector(self, text: str, cluster_ids: Sequence[str], *, reduce: Literal["max", "sum"] = "max") -> CodeVector:
        """The weights the codes in ``text`` give each cluster, shape ``(len(cluster_ids),)``.

        ``reduce="max"`` keeps each cluster's strongest code (values in [0, 1]); ``"sum"`` adds the weights
        of the distinct codes cited (a code cited twice counts once), so several codes for one cluster
        add up. ``cited`` says whether the text cites any activity code at all.
        """
        ids = _check_cluster_ids(cluster_ids)
        if reduce not in ("max", "sum"):
            raise ValueError(f"reduce: {reduce!r} is not 'max' or 'sum'")
        position = {cid: i for i, cid in enumerate(ids)}
        scores = np.zeros(len(ids), dtype=np.float64)
        resolved = self.resolve(text)
        seen: set[tuple[str, str]] = set()
        for mention, entry in resolved:
            if entry is None or (mention.code, entry.code) in seen:
                continue
            seen.add((mention.code, entry.code))
            for cid, weight in entry.clusters.items():
                if (i := position.get(cid)) is not None:
                    scores[i] = max(scores[i], weight) if reduce == "max" else scores[i] + weight
        return CodeVector(scores, bool(resolved))

    def _pick(self, code: str, version: str | None) -> ActivityCode | None:
        entries = self._index.get(code)
        if not entries:
            return None
        if "both" in entries:
            return entries["both"]
        if version is not None:
            return entries.get(f"pkd{version}")
        return entries.get("pkd2007") or entries.get("pkd2025")

    def _infer_version(self, code: str) -> str | None:
        parts = code.split(".")
        if len(parts) != 3:
            return None
        lettered = f"{parts[0]}.{parts[1]}" in self.pkd2007_lettered_classes
        # PKD 2007 writes .Z for every class it does not divide, and only then.
        return "2025" if (parts[2] == "Z") == lettered else None


def describe(mention: CodeMention, activity_code: ActivityCode, lang: str = "en") -> str:
    """A one-line explanation: ``"PKD 28.25 — manufacture of non-domestic cooling and ventilation equipment"``.

    When the entry is a level above the code cited, the level is named: ``"PKD 62.10.B — division 62:
    computer programming, consultancy and related activities"`` (Polish: ``"dział 62: ..."``).
    """
    if lang not in LANGS:
        raise ValueError(f"lang: {lang!r} is not one of {', '.join(LANGS)}")
    name = activity_code.label(lang)
    name = name[:1].lower() + name[1:]
    cited = _ancestors(mention.code)
    same = activity_code.code == mention.code or (
        activity_code.level == "class" and len(cited) > 1 and cited[1] == activity_code.code
    )
    if not same:
        name = f"{_LEVEL_NAMES[lang][activity_code.level]} {activity_code.code}: {name}"
    return f"{_LABEL.get(mention.scheme, 'PKD')} {mention.code} — {name}"


# --- loading ---------------------------------------------------------------------------------------------

_ENTRY_FIELDS = {"code", "scheme", "name_en", "name_pl", "clusters", "note"}


def activity_codes_from_dict(
    raw: Any, *, source: str = "<memory>", known_clusters: Iterable[str] | None = None
) -> ActivityCodes:
    """Build :class:`ActivityCodes` from the JSON form, checking every field.

    With ``known_clusters``, a cluster id outside it is an error. Raises :class:`ActivityCodesError`
    naming ``source``, the entry and the field.
    """
    if not isinstance(raw, dict):
        raise ActivityCodesError(f"{source}: expected an object with 'version' and a list 'codes'")
    version = raw.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise ActivityCodesError(
            f"{source}: field 'version' is {version!r}; this reader supports {', '.join(SUPPORTED_VERSIONS)}"
        )
    entries = raw.get("codes")
    if not isinstance(entries, list) or not entries:
        raise ActivityCodesError(f"{source}: field 'codes' must be a non-empty list")
    lettered = raw.get("pkd2007_lettered_classes", [])
    if not isinstance(lettered, list) or not all(
        isinstance(c, str) and _level_of_canonical(c) == "class" for c in lettered
    ):
        raise ActivityCodesError(
            f"{source}: field 'pkd2007_lettered_classes' must be a list of class codes like '52.24'"
        )
    known = frozenset(known_clusters) if known_clusters is not None else None
    codes = tuple(_entry_from_dict(item, source=source, index=i, known=known) for i, item in enumerate(entries))
    return ActivityCodes(codes, version=version, source=source, pkd2007_lettered_classes=frozenset(lettered))


def load_activity_codes(
    path: str | Path = DEFAULT_PATH, *, known_clusters: Iterable[str] | None = None
) -> ActivityCodes:
    """Read and check an activity-code file (by default the bundled ``data/activity-codes/pkd.json``).

    Raises :class:`ActivityCodesError` naming the file, the entry and the field that is wrong.
    """
    path = Path(path)
    raw = read_json(path, kind="activity-code file", error=ActivityCodesError)
    return activity_codes_from_dict(raw, source=str(path), known_clusters=known_clusters)


def _entry_from_dict(raw: Any, *, source: str, index: int, known: frozenset[str] | None) -> ActivityCode:
    if not isinstance(raw, dict):
        raise ActivityCodesError(f"{source}: entry #{index}: expected an object, got {type(raw).__name__}")
    code = raw.get("code")
    where = f"{source}: entry #{index}" + (f" ({code})" if isinstance(code, str) else "")
    if not isinstance(code, str) or _level_of_canonical(code) is None:
        raise ActivityCodesError(
            f"{where}: field 'code' must be a code like '28', '28.2', '28.25' or '52.24.A' "
            f"whose first two digits are a NACE division, got {code!r}"
        )
    unknown = sorted(set(raw) - _ENTRY_FIELDS)
    if unknown:
        raise ActivityCodesError(f"{where}: unknown field(s) {', '.join(unknown)}")
    scheme = raw.get("scheme")
    if scheme not in ENTRY_SCHEMES:
        raise ActivityCodesError(f"{where}: field 'scheme' must be one of {', '.join(ENTRY_SCHEMES)}, got {scheme!r}")
    names: dict[str, str] = {}
    for lang in LANGS:
        value = raw.get(f"name_{lang}")
        if not isinstance(value, str) or not value.strip():
            raise ActivityCodesError(f"{where}: field 'name_{lang}' must be a non-empty string")
        names[lang] = value.strip()
    clusters = raw.get("clusters")
    if not isinstance(clusters, dict):
        raise ActivityCodesError(f"{where}: field 'clusters' must be an object of cluster id -> weight")
    weights: dict[str, float] = {}
    for cid, weight in clusters.items():
        if not cid or not set(cid) <= _ID_CHARS:
            raise ActivityCodesError(f"{where}: field 'clusters': {cid!r} is not a cluster id (a-z, 0-9, _ or -)")
        if known is not None and cid not in known:
            raise ActivityCodesError(
                f"{where}: field 'clusters': unknown cluster {cid!r}; known: {', '.join(sorted(known))}"
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1:
            raise ActivityCodesError(f"{where}: field 'clusters.{cid}' must be a number in (0, 1], got {weight!r}")
        weights[cid] = float(weight)
    note = raw.get("note")
    if note is not None and not isinstance(note, str):
        raise ActivityCodesError(f"{where}: field 'note' must be a string")
    return ActivityCode(code=code, name=names, clusters=weights, scheme=scheme, note=note)


def _level_of_canonical(code: str) -> str | None:
    if not _CANONICAL.fullmatch(code) or int(code[:2]) in UNUSED_DIVISIONS:
        return None
    return _level(code)


def _check_cluster_ids(cluster_ids: Sequence[str]) -> tuple[str, ...]:
    if isinstance(cluster_ids, str):
        raise ValueError("cluster_ids: expected a sequence of cluster ids, got a single string")
    ids = tuple(cluster_ids)
    if len(set(ids)) != len(ids):
        raise ValueError(f"cluster_ids: ids repeat in {list(ids)}")
    return ids
