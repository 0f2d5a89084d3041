"""Tests for matcher/catalogue.py: loading, validation messages, edits, content hash, prototypes."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matcher.catalogue import Catalogue, CatalogueError, Cluster, catalogue_from_dict, load_catalogue
from matcher.config import CATALOGUE_PATH

FIXED_IDS = ("biochem", "maritime", "hvac", "ict", "construction", "energy")


@pytest.fixture(scope="module")
def raw_catalogue() -> dict[str, Any]:
    return json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))


def _write(tmp_path: Path, raw: Any) -> Path:
    path = tmp_path / "clusters.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def _cluster(raw: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in raw["clusters"] if c["id"] == cid)


# -- the real catalogue ----------------------------------------------------------------------


def test_real_catalogue_has_the_six_fixed_ids_in_order() -> None:
    cat = load_catalogue()
    assert cat.ids == FIXED_IDS
    assert len(cat) == 6
    assert [c.id for c in cat] == list(FIXED_IDS)
    assert cat.source == str(CATALOGUE_PATH)


def test_default_path_is_the_bundled_file(catalogue: Catalogue) -> None:
    assert load_catalogue(CATALOGUE_PATH).sha256 == catalogue.sha256


def test_every_cluster_is_bilingual(catalogue: Catalogue) -> None:
    for cluster in catalogue:
        for lang in ("en", "pl"):
            assert cluster.name[lang].strip()
            assert cluster.description[lang].strip()
            assert cluster.terms[lang]
            assert cluster.typical_members[lang]


def test_contains_and_get(catalogue: Catalogue) -> None:
    assert "hvac" in catalogue
    assert "none" not in catalogue
    assert catalogue.get("maritime").id == "maritime"
    with pytest.raises(KeyError, match="tourism"):
        catalogue.get("tourism")


def test_label_falls_back_to_english(catalogue: Catalogue) -> None:
    hvac = catalogue.get("hvac")
    assert hvac.label("pl") == hvac.name["pl"]
    assert hvac.label("de") == hvac.name["en"]


def test_to_dict_round_trips(catalogue: Catalogue) -> None:
    again = catalogue_from_dict(catalogue.to_dict())
    assert again.ids == catalogue.ids
    assert again.sha256 == catalogue.sha256


# -- validation errors name the file, the cluster and the field ---------------------------------


def _drop_description_pl(raw: dict[str, Any]) -> None:
    del _cluster(raw, "hvac")["description"]["pl"]


def _empty_terms(raw: dict[str, Any]) -> None:
    _cluster(raw, "maritime")["terms"]["en"] = []


def _non_string_term(raw: dict[str, Any]) -> None:
    _cluster(raw, "ict")["terms"]["pl"][2] = 42


def _duplicate_id(raw: dict[str, Any]) -> None:
    _cluster(raw, "construction")["id"] = "ict"


def _reserved_id(raw: dict[str, Any]) -> None:
    _cluster(raw, "energy")["id"] = "none"


def _bad_id_characters(raw: dict[str, Any]) -> None:
    _cluster(raw, "biochem")["id"] = "Bio Chem!"


def _bad_url(raw: dict[str, Any]) -> None:
    _cluster(raw, "energy")["url"] = "ftp://example.org/cluster"


def _empty_member_sketch(raw: dict[str, Any]) -> None:
    _cluster(raw, "biochem")["typical_members"]["en"][0] = "   "


def _name_not_an_object(raw: dict[str, Any]) -> None:
    _cluster(raw, "hvac")["name"] = "KlimaPomerania"


@pytest.mark.parametrize(
    ("breaks", "cluster", "field"),
    [
        (_drop_description_pl, "'hvac'", "description.pl"),
        (_empty_terms, "'maritime'", "terms.en"),
        (_non_string_term, "'ict'", "terms.pl[2]"),
        (_duplicate_id, "'ict'", "'id'"),
        (_reserved_id, "'none'", "'id'"),
        (_bad_id_characters, "'Bio Chem!'", "'id'"),
        (_bad_url, "'energy'", "'url'"),
        (_empty_member_sketch, "'biochem'", "typical_members.en[0]"),
        (_name_not_an_object, "'hvac'", "'name'"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_errors_name_file_cluster_and_field(
    tmp_path: Path, raw_catalogue: dict[str, Any], breaks: Callable[[dict[str, Any]], None], cluster: str, field: str
) -> None:
    raw = copy.deepcopy(raw_catalogue)
    breaks(raw)
    path = _write(tmp_path, raw)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert str(path) in message
    assert f"cluster {cluster}" in message
    assert field in message


def test_duplicate_id_says_it_is_used_twice(tmp_path: Path, raw_catalogue: dict[str, Any]) -> None:
    raw = copy.deepcopy(raw_catalogue)
    _duplicate_id(raw)
    with pytest.raises(CatalogueError, match="used twice"):
        load_catalogue(_write(tmp_path, raw))


def test_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clusters.json"
    path.write_text('{"clusters": [', encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON") as info:
        load_catalogue(path)
    assert str(path) in str(info.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "clusters.json"
    with pytest.raises(CatalogueError, match="no such catalogue file") as info:
        load_catalogue(path)
    assert str(path) in str(info.value)


def test_a_folder_instead_of_a_file_is_a_catalogue_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot be read"):
        load_catalogue(tmp_path)


def test_empty_clusters_names_file_and_field(tmp_path: Path, raw_catalogue: dict[str, Any]) -> None:
    raw = copy.deepcopy(raw_catalogue)
    raw["clusters"] = []
    path = _write(tmp_path, raw)
    with pytest.raises(CatalogueError, match="'clusters' is empty") as info:
        load_catalogue(path)
    assert str(path) in str(info.value)


def test_clusters_not_a_list_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {"version": "1", "clusters": {"ict": {}}})
    with pytest.raises(CatalogueError, match="'clusters'"):
        load_catalogue(path)


def test_cluster_not_an_object_is_named_by_position(tmp_path: Path, raw_catalogue: dict[str, Any]) -> None:
    raw = copy.deepcopy(raw_catalogue)
    raw["clusters"][3] = "ict"
    path = _write(tmp_path, raw)
    with pytest.raises(CatalogueError, match="cluster #3") as info:
        load_catalogue(path)
    assert str(path) in str(info.value)


def test_duplicate_clusters_refused_in_memory(catalogue: Catalogue) -> None:
    ict = catalogue.get("ict")
    with pytest.raises(CatalogueError, match="'ict'"):
        Catalogue((ict, ict))


# -- edits -------------------------------------------------------------------------------------


def _new_cluster() -> Cluster:
    return Cluster(
        id="tourism",
        name={"en": "Tourism Cluster", "pl": "Klaster Turystyczny"},
        description={"en": "Hotels and tour operators.", "pl": "Hotele i biura podróży."},
        terms={"en": ("hotel", "tour operator"), "pl": ("hotel", "biuro podróży")},
        typical_members={"en": ("A seaside hotel in Sopot.",), "pl": ("Hotel nad morzem w Sopocie.",)},
    )


def test_with_cluster_replaces_in_place(catalogue: Catalogue) -> None:
    changed = dataclasses.replace(catalogue.get("ict"), url="https://example.org/ict")
    edited = catalogue.with_cluster(changed)
    assert edited.ids == catalogue.ids
    assert edited.get("ict").url == "https://example.org/ict"
    assert catalogue.get("ict").url != "https://example.org/ict"  # the original is untouched


def test_with_cluster_appends_a_new_id(catalogue: Catalogue) -> None:
    edited = catalogue.with_cluster(_new_cluster())
    assert edited.ids == (*catalogue.ids, "tourism")
    assert edited.get("tourism") == _new_cluster()
    assert "tourism" not in catalogue


def test_without_removes(catalogue: Catalogue) -> None:
    edited = catalogue.without("hvac")
    assert edited.ids == ("biochem", "maritime", "ict", "construction", "energy")
    assert "hvac" in catalogue


def test_without_unknown_id_raises_key_error(catalogue: Catalogue) -> None:
    with pytest.raises(KeyError, match="tourism"):
        catalogue.without("tourism")


# -- content hash ------------------------------------------------------------------------------


def test_sha256_is_stable_without_changes(catalogue: Catalogue) -> None:
    assert load_catalogue().sha256 == catalogue.sha256
    assert catalogue.with_cluster(catalogue.get("ict")).sha256 == catalogue.sha256
    assert len(catalogue.sha256) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"name": {"en": "Interizon", "pl": "Interizon Pomorski Klaster ICT"}},
        {"description": {"en": "Software companies.", "pl": "Firmy informatyczne."}},
        {"terms": {"en": ("software",), "pl": ("oprogramowanie",)}},
        {"typical_members": {"en": ("A software house.",), "pl": ("Software house.",)}},
        {"former_names": ("Pomorski Klaster ICT",)},
        {"url": "https://example.org/ict"},
        {"id": "it"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_sha256_changes_when_any_field_changes(catalogue: Catalogue, change: dict[str, Any]) -> None:
    changed = dataclasses.replace(catalogue.get("ict"), **change)
    edited = Catalogue(tuple(changed if c.id == "ict" else c for c in catalogue), version=catalogue.version)
    assert edited.sha256 != catalogue.sha256


def test_sha256_changes_with_one_character_of_one_term(catalogue: Catalogue) -> None:
    ict = catalogue.get("ict")
    terms = dict(ict.terms)
    terms["pl"] = (*terms["pl"][:-1], terms["pl"][-1] + "x")
    assert catalogue.with_cluster(dataclasses.replace(ict, terms=terms)).sha256 != catalogue.sha256


def test_sha256_changes_with_version_and_order(catalogue: Catalogue) -> None:
    assert Catalogue(catalogue.clusters, version=catalogue.version + ".1").sha256 != catalogue.sha256
    assert Catalogue(tuple(reversed(catalogue.clusters)), version=catalogue.version).sha256 != catalogue.sha256


def test_sha256_ignores_the_source_path(catalogue: Catalogue) -> None:
    assert Catalogue(catalogue.clusters, version=catalogue.version, source="elsewhere").sha256 == catalogue.sha256


# -- prototypes --------------------------------------------------------------------------------


def test_prototypes_hold_both_descriptions_and_member_sketches(catalogue: Catalogue) -> None:
    for cluster in catalogue:
        protos = cluster.prototypes()
        for lang in ("en", "pl"):
            assert cluster.description[lang] in protos
            for sketch in cluster.typical_members[lang]:
                assert sketch in protos
        assert len(protos) == len(set(protos))
        assert all(p.strip() for p in protos)


def test_prototypes_group_terms(catalogue: Catalogue) -> None:
    maritime = catalogue.get("maritime")
    first_six = ", ".join(maritime.terms["en"][:6])
    assert first_six in maritime.prototypes()


def test_term_list_has_both_languages_without_repeats(catalogue: Catalogue) -> None:
    for cluster in catalogue:
        terms = cluster.term_list()
        assert len(terms) == len(set(terms))
        assert set(terms) == set(cluster.terms["en"]) | set(cluster.terms["pl"])
