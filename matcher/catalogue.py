"""The cluster catalogue: loading, validation and the texts each cluster is matched by."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.config import CATALOGUE_PATH, NO_FIT
from matcher.jsonfile import read_json

LANGS = ("en", "pl")
_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


class CatalogueError(ValueError):
    """A catalogue that cannot be used; the message names the file, the cluster and the field."""


@dataclass(frozen=True, slots=True)
class Cluster:
    """One cluster of the catalogue, in English and Polish."""

    id: str
    name: Mapping[str, str]
    description: Mapping[str, str]
    terms: Mapping[str, tuple[str, ...]]
    typical_members: Mapping[str, tuple[str, ...]]
    former_names: tuple[str, ...] = ()
    url: str | None = None

    def label(self, lang: str = "en") -> str:
        return self.name.get(lang) or self.name["en"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": dict(self.name),
            "former_names": list(self.former_names),
            "url": self.url,
            "description": dict(self.description),
            "terms": {lang: list(t) for lang, t in self.terms.items()},
            "typical_members": {lang: list(t) for lang, t in self.typical_members.items()},
        }

    def term_list(self) -> list[str]:
        """All terms, both languages, without repeats."""
        return list(dict.fromkeys(t for lang in LANGS for t in self.terms.get(lang, ())))

    def prototypes(self) -> list[str]:
        """The texts a profile is compared with: descriptions, member sketches and groups of terms.

        Descriptions are kept whole: their single sentences about history or the region would
        match any profile that names a place.
        """
        texts: list[str] = []
        for lang in LANGS:
            desc = self.description[lang]
            texts.append(desc)
            texts.extend(self.typical_members.get(lang, ()))
            terms = list(self.terms.get(lang, ()))
            texts.extend(", ".join(terms[i : i + 6]) for i in range(0, len(terms), 6))
        return list(dict.fromkeys(t for t in texts if t.strip()))


@dataclass(frozen=True, slots=True)
class Catalogue:
    """An ordered, validated set of clusters."""

    clusters: tuple[Cluster, ...]
    version: str = "1"
    source: str = "<memory>"

    def __post_init__(self) -> None:
        _check_unique(self.clusters, self.source)

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self.clusters)

    def __len__(self) -> int:
        return len(self.clusters)

    def __contains__(self, cluster_id: object) -> bool:
        return any(c.id == cluster_id for c in self.clusters)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.clusters)

    def get(self, cluster_id: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.id == cluster_id:
                return cluster
        raise KeyError(f"unknown cluster {cluster_id!r}; known: {', '.join(self.ids)}")

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "clusters": [c.to_dict() for c in self.clusters]}

    @property
    def sha256(self) -> str:
        """Content hash: any edit of any field changes it (the embedding cache is keyed by it)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    def with_cluster(self, cluster: Cluster) -> Catalogue:
        """A copy with ``cluster`` replacing the one of the same id, or appended."""
        kept = [c if c.id != cluster.id else cluster for c in self.clusters]
        if cluster.id not in self:
            kept.append(cluster)
        return Catalogue(tuple(kept), version=self.version, source=self.source)

    def without(self, cluster_id: str) -> Catalogue:
        self.get(cluster_id)
        kept = tuple(c for c in self.clusters if c.id != cluster_id)
        return Catalogue(kept, version=self.version, source=self.source)


def cluster_from_dict(raw: Any, *, source: str = "<memory>", index: int = 0) -> Cluster:
    """Build a :class:`Cluster` from its JSON form, with errors naming source, cluster and field."""
    if not isinstance(raw, dict):
        raise CatalogueError(f"{source}: cluster #{index}: expected an object, got {type(raw).__name__}")
    cid = raw.get("id")
    where = f"{source}: cluster {cid!r}" if isinstance(cid, str) else f"{source}: cluster #{index}"
    if not isinstance(cid, str) or not cid or not set(cid) <= _ID_CHARS:
        raise CatalogueError(f"{where}: field 'id' must be a non-empty lowercase id (a-z, 0-9, _ or -)")
    if cid == NO_FIT:
        raise CatalogueError(f"{where}: field 'id': {NO_FIT!r} is reserved for profiles that fit no cluster")

    def texts(field: str, *, required_langs: tuple[str, ...] = LANGS) -> dict[str, str]:
        value = raw.get(field)
        if not isinstance(value, dict):
            raise CatalogueError(f"{where}: field '{field}' must be an object with keys {', '.join(LANGS)}")
        for lang in required_langs:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                raise CatalogueError(f"{where}: field '{field}.{lang}' must be a non-empty string")
        return {k: v.strip() for k, v in value.items() if isinstance(v, str)}

    def lists(field: str) -> dict[str, tuple[str, ...]]:
        value = raw.get(field)
        if not isinstance(value, dict):
            raise CatalogueError(f"{where}: field '{field}' must be an object with keys {', '.join(LANGS)}")
        out: dict[str, tuple[str, ...]] = {}
        for lang in LANGS:
            items = value.get(lang)
            if not isinstance(items, list) or not items:
                raise CatalogueError(f"{where}: field '{field}.{lang}' must be a non-empty list of strings")
            for i, item in enumerate(items):
                if not isinstance(item, str) or not item.strip():
                    raise CatalogueError(f"{where}: field '{field}.{lang}[{i}]' must be a non-empty string")
            out[lang] = tuple(s.strip() for s in items)
        return out

    former = raw.get("former_names", [])
    if not isinstance(former, list) or not all(isinstance(n, str) for n in former):
        raise CatalogueError(f"{where}: field 'former_names' must be a list of strings")
    url = raw.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        raise CatalogueError(f"{where}: field 'url' must be null or an http(s) address")
    return Cluster(
        id=cid,
        name=texts("name"),
        description=texts("description"),
        terms=lists("terms"),
        typical_members=lists("typical_members"),
        former_names=tuple(former),
        url=url,
    )


def catalogue_from_dict(raw: Any, *, source: str = "<memory>") -> Catalogue:
    if not isinstance(raw, dict) or not isinstance(raw.get("clusters"), list):
        raise CatalogueError(f"{source}: expected an object with a list 'clusters'")
    if not raw["clusters"]:
        raise CatalogueError(f"{source}: field 'clusters' is empty")
    clusters = tuple(cluster_from_dict(c, source=source, index=i) for i, c in enumerate(raw["clusters"]))
    return Catalogue(clusters, version=str(raw.get("version", "1")), source=source)


def load_catalogue(path: str | Path = CATALOGUE_PATH) -> Catalogue:
    """Read and validate a catalogue file.

    Raises :class:`CatalogueError` naming the file, the cluster and the field that is wrong.

    Example:
        >>> cat = load_catalogue()
        >>> cat.ids
        ('biochem', 'maritime', 'hvac', 'ict', 'construction', 'energy')
    """
    path = Path(path)
    raw = read_json(path, kind="catalogue file", error=CatalogueError)
    return catalogue_from_dict(raw, source=str(path))


def _check_unique(clusters: tuple[Cluster, ...], source: str) -> None:
    seen: set[str] = set()
    for c in clusters:
        if c.id in seen:
            raise CatalogueError(f"{source}: cluster {c.id!r}: field 'id' is used twice")
        seen.add(c.id)
