"""Labelled profiles in JSON Lines: reading with clear errors, and splitting."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from matcher.config import NO_FIT, PROFILES_PATH
from matcher.text import is_blank, is_valid_unicode
from matcher.types import LabelledProfile

log = logging.getLogger(__name__)

SPLITS = ("train", "dev", "test")


class ProfileError(ValueError):
    """A labelled-profile line that cannot be used; the message names the file and the line."""


#: Why ``["none", "hvac"]`` is refused.
NO_FIT_WITH_A_CLUSTER = f"{NO_FIT!r} (no cluster fits) cannot stand with a cluster"


def normalise_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """``labels`` in the one form they are stored in: each once, in their order; "no cluster fits"
    is ``("none",)`` whether written ``[]`` (as a routing decision says it) or ``["none"]``.

    Raises:
        ValueError: ``"none"`` stands with a cluster (:data:`NO_FIT_WITH_A_CLUSTER`).

    Example:
        >>> normalise_labels([]), normalise_labels(["hvac", "ict", "hvac"])
        (('none',), ('hvac', 'ict'))
    """
    unique = tuple(dict.fromkeys(labels))
    if NO_FIT in unique and len(unique) > 1:
        raise ValueError(NO_FIT_WITH_A_CLUSTER)
    return unique or (NO_FIT,)


def parse_profile(
    raw: object, *, known: Iterable[str] | None = None, where: str = "<memory>", default_id: str = ""
) -> LabelledProfile:
    """Validate one labelled profile object; ``known`` restricts labels to those cluster ids."""
    if not isinstance(raw, dict):
        raise ProfileError(f"{where}: expected a JSON object")
    text = raw.get("text")
    if not isinstance(text, str) or is_blank(text):
        raise ProfileError(f"{where}: field 'text' must be a non-empty string")
    if not is_valid_unicode(text):
        raise ProfileError(f"{where}: field 'text' is not valid Unicode (a lone surrogate)")
    labels = raw.get("labels")
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise ProfileError(f"{where}: field 'labels' must be a list of cluster ids ([] or [\"none\"]: no cluster fits)")
    try:
        labels = list(normalise_labels(labels))
    except ValueError as exc:
        raise ProfileError(f"{where}: field 'labels': {exc}") from None
    if known is not None:
        allowed = set(known) | {NO_FIT}
        unknown = [x for x in labels if x not in allowed]
        if unknown:
            raise ProfileError(
                f"{where}: field 'labels': unknown cluster {unknown[0]!r} (known: {', '.join(sorted(allowed))})"
            )
    split = raw.get("split")
    if split is not None and not isinstance(split, str):
        raise ProfileError(f"{where}: field 'split' must be a string ({', '.join(SPLITS)} for the bundled set)")
    lang = raw.get("lang")
    if lang is not None and not isinstance(lang, str):
        raise ProfileError(f"{where}: field 'lang' must be a string")
    pid = raw.get("id", default_id)
    return LabelledProfile(id=str(pid), text=text.strip(), labels=tuple(labels), lang=lang, split=split)


def load_profiles(path: str | Path = PROFILES_PATH, *, known: Iterable[str] | None = None) -> list[LabelledProfile]:
    """Read a labelled-profile file; the first bad line raises :class:`ProfileError` naming it."""
    profiles, problems = read_profiles(path, known=known)
    if problems:
        raise problems[0]
    return profiles


def read_profiles(
    path: str | Path, *, known: Iterable[str] | None = None
) -> tuple[list[LabelledProfile], list[ProfileError]]:
    """Read a labelled-profile file, keeping the good lines: (profiles, one error per bad line).

    A file that cannot be read at all raises :class:`ProfileError`.
    """
    path = Path(path)
    known = list(known) if known is not None else None
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # -sig: editors on Windows write a BOM
    except FileNotFoundError:
        raise ProfileError(f"{path}: no such file") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise ProfileError(f"{path}: cannot be read ({exc})") from None
    profiles: list[LabelledProfile] = []
    problems: list[ProfileError] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(ProfileError(f"{path}, line {n}: not valid JSON ({exc.msg})"))
            continue
        try:
            profiles.append(parse_profile(raw, known=known, where=f"{path}, line {n}", default_id=f"line{n}"))
        except ProfileError as exc:
            problems.append(exc)
    return profiles, problems


def by_split(profiles: Sequence[LabelledProfile], *splits: str) -> list[LabelledProfile]:
    return [p for p in profiles if p.split in splits]


def distinct_profiles(profiles: Iterable[LabelledProfile]) -> list[LabelledProfile]:
    """The profiles sorted by text and labels, each (text, labels) once: the same set in any order,
    with or without repeats, gives the same list."""
    unique: dict[tuple[str, tuple[str, ...]], LabelledProfile] = {}
    for p in sorted(profiles, key=lambda p: (p.text, p.labels, p.id)):
        unique.setdefault((p.text, p.labels), p)
    return list(unique.values())


def usable_profiles(profiles: Iterable[LabelledProfile], classes: Sequence[str]) -> list[LabelledProfile]:
    """The profiles with only the labels of ``classes`` (and "none"); one left with no label is skipped.

    So a deleted cluster never breaks fitting; each change is logged.
    """
    known = set(classes) | {NO_FIT}
    usable = []
    for p in profiles:
        labels = tuple(lab for lab in p.labels if lab in known)
        if labels == p.labels:
            usable.append(p)
        elif labels:
            log.info("example %s: labels not in the catalogue dropped (%s)", p.id, set(p.labels) - known)
            usable.append(dataclasses.replace(p, labels=labels))
        else:
            log.info("example %s skipped: no label is in the catalogue", p.id)
    return usable


def label_matrix(profiles: Sequence[LabelledProfile], classes: Sequence[str]) -> np.ndarray:
    """(n_profiles, n_classes + 1): 1 where a profile has the cluster; the last column is "none"."""
    return np.array([[lab in p.labels for lab in (*classes, NO_FIT)] for p in profiles], dtype=int)


def read_texts(path: str | Path, *, split: str | None = None) -> list[str]:
    """The ``text`` of every line of a JSON Lines file (of ``split`` only, when given): unlabelled texts.

    A line that is not an object with a non-blank text raises :class:`ProfileError` naming it.
    """
    texts = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ProfileError(f"{path}, line {n}: not valid JSON ({exc.msg})") from None
        text = raw.get("text") if isinstance(raw, dict) else None
        if not isinstance(text, str) or is_blank(text):
            raise ProfileError(f"{path}, line {n}: field 'text' must be a non-empty string")
        if split is None or raw.get("split") == split:
            texts.append(text.strip())
    return texts
