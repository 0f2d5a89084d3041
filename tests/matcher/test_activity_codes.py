"""Tests for matcher/activity_codes.py: the mapping, lookups, vectors, errors (finding codes: test_code_mentions)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcher import activity_codes, code_mentions
from matcher.activity_codes import (
    DEFAULT_PATH,
    ENTRY_SCHEMES,
    MENTION_SCHEMES,
    ActivityCode,
    ActivityCodes,
    ActivityCodesError,
    CodeMention,
    activity_codes_from_dict,
    describe,
    load_activity_codes,
)

CLUSTERS = ("biochem", "maritime", "hvac", "ict", "construction", "energy")
CANONICAL = re.compile(r"\d{2}(\.\d(\d(\.[A-Z])?)?)?")


@pytest.fixture(scope="module")
def codes() -> ActivityCodes:
    return load_activity_codes(known_clusters=CLUSTERS)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, raw: Any) -> Path:
    path = tmp_path / "pkd.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def _minimal(**entry: Any) -> dict[str, Any]:
    base = {
        "code": "28.25",
        "scheme": "both",
        "name_en": "Cooling",
        "name_pl": "Chłodnictwo",
        "clusters": {"hvac": 1.0},
    }
    return {"version": "1", "codes": [{**base, **entry}]}


# -- the finding API, re-exported ------------------------------------------------------------------------


def test_the_finding_api_is_re_exported_from_code_mentions() -> None:
    for name in ("MENTION_SCHEMES", "CodeMention", "find_codes", "normalize_code"):
        assert name in activity_codes.__all__ and name in code_mentions.__all__
        assert getattr(activity_codes, name) is getattr(code_mentions, name)
    assert activity_codes.find_codes("PKD 62.01") == [CodeMention("62.01", 4, 9, "pkd")]


# -- the bundled data file --------------------------------------------------------------------------------


def test_data_file_loads_with_the_six_clusters(codes: ActivityCodes) -> None:
    assert codes.version == "1"
    assert codes.source == str(DEFAULT_PATH)
    assert set(codes.cluster_ids) == set(CLUSTERS)


@pytest.mark.parametrize("cluster_id", CLUSTERS)
def test_every_cluster_has_codes(codes: ActivityCodes, cluster_id: str) -> None:
    assert len(codes.for_cluster(cluster_id)) >= 5


def test_every_entry_is_well_formed(codes: ActivityCodes) -> None:
    for entry in codes:
        assert CANONICAL.fullmatch(entry.code), entry.code
        assert entry.scheme in ENTRY_SCHEMES
        assert entry.name["en"].strip() and entry.name["pl"].strip()
        assert entry.name["en"][0].isupper() and entry.name["pl"][0].isupper()
        assert entry.clusters, f"{entry.code}: an entry without clusters is allowed, but the bundled file has none"
        for cid, weight in entry.clusters.items():
            assert cid in CLUSTERS
            assert 0 < weight <= 1


def test_raw_file_fields(raw: dict[str, Any]) -> None:
    assert raw["version"] == "1"
    for item in raw["codes"]:
        assert {"code", "scheme", "name_en", "name_pl", "clusters"} <= set(item) <= {
            "code", "scheme", "name_en", "name_pl", "clusters", "note",
        }  # fmt: skip
    assert all(CANONICAL.fullmatch(c) and c.count(".") == 1 for c in raw["pkd2007_lettered_classes"])


def test_numbers_that_changed_meaning_have_both_readings(codes: ActivityCodes) -> None:
    """Where PKD 2025 reuses a PKD 2007 number for another activity, both readings are listed."""
    for code in ("20.51", "22.23", "25.21", "28.25", "35.11", "35.12", "35.13", "35.14", "38.22", "61.10", "61.20"):
        e2007, e2025 = codes.lookup(code, "pkd2007"), codes.lookup(code, "pkd2025")
        assert e2007 is not None and e2025 is not None and e2007.code == e2025.code == code
        assert (e2007.scheme, e2025.scheme) == ("pkd2007", "pkd2025")


@pytest.mark.parametrize(
    ("code", "cluster"),
    [
        ("20.14.Z", "biochem"),
        ("21.20.Z", "biochem"),
        ("72.11.Z", "biochem"),
        ("39.00.Z", "biochem"),
        ("30.11.Z", "maritime"),
        ("33.15.Z", "maritime"),
        ("50.20.Z", "maritime"),
        ("52.22.A", "maritime"),
        ("28.25.Z", "hvac"),
        ("43.22.Z", "hvac"),
        ("62.01.Z", "ict"),
        ("26.11.Z", "ict"),
        ("61.10.Z", "ict"),
        ("41.20.Z", "construction"),
        ("42.11.Z", "construction"),
        ("71.11.Z", "construction"),
        ("35.11.Z", "energy"),
        ("27.20.Z", "energy"),
    ],
)
def test_key_codes_point_at_their_cluster(codes: ActivityCodes, code: str, cluster: str) -> None:
    entry = codes.lookup(code)
    assert entry is not None
    assert max(entry.clusters, key=lambda cid: entry.clusters[cid]) == cluster


@pytest.mark.parametrize("code", ["47.11.Z", "69.20.Z", "56.10.A", "85.10.Z", "01.11.Z", "72.19.Z", "46.69.Z"])
def test_codes_of_no_cluster_are_not_listed(codes: ActivityCodes, code: str) -> None:
    assert codes.lookup(code) is None


# -- lookup -----------------------------------------------------------------------------------------------


def test_lookup_falls_back_from_class_to_group_to_division(codes: ActivityCodes) -> None:
    listed_class = codes.lookup("43.22")
    assert listed_class is not None and listed_class.code == "43.22"
    division = codes.lookup("43.99.Z")
    assert division is not None and (division.code, division.level) == ("43", "division")
    group = codes.lookup("30.12.Z")
    assert group is not None and (group.code, group.level) == ("30.1", "group")
    subclass = codes.lookup("52.24.A")
    assert subclass is not None and (subclass.code, subclass.level) == ("52.24.A", "subclass")
    parent = codes.lookup("52.24.C")
    assert parent is not None and parent.code == "52.24"


def test_lookup_accepts_codes_as_written(codes: ActivityCodes) -> None:
    assert codes.lookup("C28.25") == codes.lookup("28.25.Z") == codes.lookup("2825Z") == codes.lookup(" 28.25 ")


def test_lookup_reads_a_code_in_the_named_classification(codes: ActivityCodes) -> None:
    old, new = codes.lookup("35.12", "pkd2007"), codes.lookup("35.12", "nace2.1")
    assert old is not None and old.name["en"] == "Transmission of electricity"
    assert new is not None and new.name["en"] == "Production of electricity from renewable sources"
    assert codes.lookup("35.12") == old  # no version named: PKD 2007
    assert codes.lookup("72.11", "pkd2025") is None  # no class 72.11 in PKD 2025, 72 is not listed


def test_a_subclass_letter_can_settle_the_version(codes: ActivityCodes) -> None:
    renewable = codes.lookup("35.12.B")  # PKD 2007 has only 35.12.Z
    assert renewable is not None and renewable.scheme == "pkd2025"
    transmission = codes.lookup("35.12.Z")
    assert transmission is not None and transmission.scheme == "pkd2007"
    assert codes.lookup("52.24.A") == codes.lookup("52.24.A", "pkd2007")  # 52.24 is lettered in PKD 2007


def test_codes_of_older_classifications_have_no_mapping(codes: ActivityCodes) -> None:
    assert codes.lookup("72.22.Z", "pkd2004") is None
    assert codes.resolve("PKD 2004: 72.22.Z") == [(CodeMention("72.22.Z", 10, 17, "pkd2004"), None)]


def test_lookup_rejects_bad_arguments(codes: ActivityCodes) -> None:
    with pytest.raises(ValueError, match="code"):
        codes.lookup("62.01.11")
    with pytest.raises(ValueError, match="scheme"):
        codes.lookup("62.01", "isic")


def test_every_mention_scheme_is_accepted(codes: ActivityCodes) -> None:
    for scheme in MENTION_SCHEMES:
        codes.lookup("62.01", scheme)


# -- evidence, vector -------------------------------------------------------------------------------------


def test_evidence_per_cluster_in_text_order(codes: ActivityCodes) -> None:
    text = "Przeważający PKD: 43.22.Z; pozostałe: 41.20.Z, 71.12.Z. NACE Rev. 2 C28.25"
    evidence = codes.evidence(text, CLUSTERS)
    assert list(evidence) == ["hvac", "construction"]
    assert [(m.code, entry.code, w) for m, entry, w in evidence["hvac"]] == [
        ("43.22.Z", "43.22", 1.0),
        ("28.25", "28.25", 1.0),
    ]
    assert [(m.code, w) for m, _, w in evidence["construction"]] == [
        ("43.22.Z", 0.5),
        ("41.20.Z", 1.0),
        ("71.12.Z", 0.6),
    ]


def test_evidence_ignores_clusters_not_asked_for(codes: ActivityCodes) -> None:
    assert list(codes.evidence("PKD 43.22.Z", ["construction"])) == ["construction"]
    assert codes.evidence("PKD 43.22.Z", ["ict"]) == {}


def test_vector_max_and_sum(codes: ActivityCodes) -> None:
    text = "PKD: 43.22.Z, 41.20.Z, 43.22.Z"
    top = codes.vector(text, CLUSTERS)
    assert top.cited
    assert top.scores.shape == (6,) and top.scores.dtype == np.float64
    np.testing.assert_allclose(top.scores, [0, 0, 1.0, 0, 1.0, 0])
    total = codes.vector(text, CLUSTERS, reduce="sum")
    np.testing.assert_allclose(total.scores, [0, 0, 1.0, 0, 1.5, 0])  # 43.22.Z counts once


def test_vector_follows_the_order_of_cluster_ids(codes: ActivityCodes) -> None:
    scores, cited = codes.vector("62.01.Z", ["construction", "ict"])
    assert cited
    np.testing.assert_allclose(scores, [0.0, 1.0])


def test_codes_of_no_cluster_still_count_as_cited(codes: ActivityCodes) -> None:
    scores, cited = codes.vector("PKD 69.20.Z Działalność rachunkowo-księgowa", CLUSTERS)
    assert cited and not scores.any()
    scores, cited = codes.vector("Biuro rachunkowe w Gdyni, 12.50 zł za dokument", CLUSTERS)
    assert not cited and not scores.any()


def test_vector_and_evidence_check_their_arguments(codes: ActivityCodes) -> None:
    with pytest.raises(ValueError, match="cluster_ids"):
        codes.vector("62.01.Z", ["ict", "ict"])
    with pytest.raises(ValueError, match="cluster_ids"):
        codes.evidence("62.01.Z", "ict")
    with pytest.raises(ValueError, match="reduce"):
        codes.vector("62.01.Z", CLUSTERS, reduce="mean")  # type: ignore[arg-type]


def test_resolve_pairs_every_mention(codes: ActivityCodes) -> None:
    pairs = codes.resolve("PKD 62.01.Z oraz 47.91.Z")
    assert [(m.code, e.code if e else None) for m, e in pairs] == [("62.01.Z", "62.01"), ("47.91.Z", None)]


@pytest.mark.parametrize(
    ("text", "cluster"),
    [
        (
            "Stocznia remontowa z Gdyni. Przeważająca działalność: 33.15.Z Naprawa i konserwacja statków i łodzi.",
            "maritime",
        ),
        ("KRS 0000123456, PKD 2007: 20.42.Z Produkcja wyrobów kosmetycznych i toaletowych", "biochem"),
        ("Main activity (NACE Rev. 2): C28.25 Manufacture of non-domestic cooling and ventilation equipment", "hvac"),
        ("Software house from Gdańsk, main PKD 62.01.Z, other: 62.02.Z, 63.11.Z", "ict"),
        ("Generalny wykonawca, PKD 41.20.Z; 42.11.Z; 43.99.Z", "construction"),
        ("Farma fotowoltaiczna 5 MW. PKD 2025: 35.12.B", "energy"),
    ],
)
def test_register_style_texts(codes: ActivityCodes, text: str, cluster: str) -> None:
    scores, cited = codes.vector(text, CLUSTERS)
    assert cited
    assert CLUSTERS[int(np.argmax(scores))] == cluster


# -- describe ---------------------------------------------------------------------------------------------


def test_describe_in_both_languages(codes: ActivityCodes) -> None:
    [(mention, entry)] = codes.resolve("PKD 28.25")
    assert entry is not None
    assert describe(mention, entry, "en") == "PKD 28.25 — manufacture of non-domestic cooling and ventilation equipment"
    assert (
        describe(mention, entry, "pl") == "PKD 28.25 — produkcja przemysłowych urządzeń chłodniczych i wentylacyjnych"
    )


def test_describe_names_the_level_when_the_entry_is_above_the_code(codes: ActivityCodes) -> None:
    [(mention, entry)] = codes.resolve("Kod PKD 2025: 42.11.Z")
    assert entry is not None
    assert describe(mention, entry, "en") == "PKD 2025 42.11.Z — division 42: civil engineering"
    assert describe(mention, entry, "pl").startswith("PKD 2025 42.11.Z — dział 42: roboty związane z budową")


def test_describe_treats_a_subclass_as_its_class(codes: ActivityCodes) -> None:
    [(mention, entry)] = codes.resolve("NACE Rev. 2: 33.15")
    assert entry is not None
    assert describe(mention, entry) == "NACE Rev. 2 33.15 — repair and maintenance of ships and boats"
    [(mention, entry)] = codes.resolve("33.15.Z")
    assert entry is not None
    assert describe(mention, entry) == "PKD 33.15.Z — repair and maintenance of ships and boats"


def test_describe_rejects_other_languages(codes: ActivityCodes) -> None:
    [(mention, entry)] = codes.resolve("PKD 28.25")
    assert entry is not None
    with pytest.raises(ValueError, match="lang"):
        describe(mention, entry, "de")


# -- building and broken files ----------------------------------------------------------------------------


def test_an_entry_without_clusters_overrides_its_parent() -> None:
    raw = _minimal(code="26", clusters={"ict": 1.0})
    raw["codes"].append({"code": "26.52", "scheme": "both", "name_en": "Watches", "name_pl": "Zegarki", "clusters": {}})
    mapping = activity_codes_from_dict(raw)
    watches = mapping.lookup("26.52.Z")
    assert isinstance(watches, ActivityCode) and watches.clusters == {}
    assert mapping.vector("26.52.Z", ["ict"]).cited
    assert not mapping.vector("26.52.Z", ["ict"]).scores.any()


def test_load_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ActivityCodesError, match=r"nope\.json: no such activity-code file"):
        load_activity_codes(tmp_path / "nope.json")


def test_load_names_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "pkd.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ActivityCodesError, match=r"pkd\.json: not valid JSON"):
        load_activity_codes(path)


def test_load_names_a_directory(tmp_path: Path) -> None:
    with pytest.raises(ActivityCodesError, match="cannot be read"):
        load_activity_codes(tmp_path)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], r"expected an object"),
        ({"version": "2", "codes": []}, r"field 'version' is '2'"),
        ({"version": "1", "codes": []}, r"field 'codes' must be a non-empty list"),
        ({"version": "1", "codes": ["28.25"]}, r"entry #0: expected an object, got str"),
        (_minimal(code="28.250"), r"entry #0 \(28\.250\): field 'code'"),
        (_minimal(code="C28.25"), r"entry #0 \(C28\.25\): field 'code'"),
        (_minimal(code="04.11"), r"field 'code' .* NACE division"),
        (_minimal(code=2825), r"entry #0: field 'code'"),
        (_minimal(scheme="pkd2004"), r"entry #0 \(28\.25\): field 'scheme' must be one of both, pkd2007, pkd2025"),
        (_minimal(name_pl=""), r"entry #0 \(28\.25\): field 'name_pl' must be a non-empty string"),
        (_minimal(name_en=None), r"field 'name_en' must be a non-empty string"),
        (_minimal(clusters=["hvac"]), r"field 'clusters' must be an object"),
        (_minimal(clusters={"hvac": 0}), r"entry #0 \(28\.25\): field 'clusters\.hvac' must be a number in \(0, 1\]"),
        (_minimal(clusters={"hvac": 1.5}), r"field 'clusters\.hvac' must be a number in \(0, 1\], got 1\.5"),
        (_minimal(clusters={"hvac": True}), r"field 'clusters\.hvac' must be a number"),
        (_minimal(clusters={"hvac": "1"}), r"field 'clusters\.hvac' must be a number"),
        (_minimal(clusters={"HVAC": 1.0}), r"'HVAC' is not a cluster id"),
        (_minimal(cluster={"hvac": 1.0}), r"unknown field\(s\) cluster"),
        (_minimal(note=3), r"field 'note' must be a string"),
        ({**_minimal(), "pkd2007_lettered_classes": ["52.2"]}, r"field 'pkd2007_lettered_classes'"),
    ],
)
def test_broken_files_name_the_file_the_entry_and_the_field(tmp_path: Path, raw: Any, message: str) -> None:
    path = _write(tmp_path, raw)
    with pytest.raises(ActivityCodesError, match=message) as excinfo:
        load_activity_codes(path)
    assert str(excinfo.value).startswith(str(path))


def test_unknown_cluster_is_an_error_when_clusters_are_known(tmp_path: Path) -> None:
    path = _write(tmp_path, _minimal(clusters={"hvac": 1.0, "space": 0.5}))
    assert load_activity_codes(path).cluster_ids == ("hvac", "space")
    with pytest.raises(ActivityCodesError, match=r"entry #0 \(28\.25\): field 'clusters': unknown cluster 'space'"):
        load_activity_codes(path, known_clusters=CLUSTERS)


@pytest.mark.parametrize(("first", "second"), [("both", "both"), ("pkd2007", "pkd2007"), ("both", "pkd2025")])
def test_a_code_listed_twice_for_one_classification_is_an_error(tmp_path: Path, first: str, second: str) -> None:
    raw = _minimal(scheme=first)
    raw["codes"].append({**raw["codes"][0], "scheme": second})
    path = _write(tmp_path, raw)
    with pytest.raises(ActivityCodesError, match=r"code '28\.25' is listed twice"):
        load_activity_codes(path)


def test_one_code_in_each_classification_is_fine() -> None:
    raw = _minimal(scheme="pkd2007")
    raw["codes"].append({**raw["codes"][0], "scheme": "pkd2025", "name_en": "Air conditioning"})
    mapping = activity_codes_from_dict(raw)
    assert len(mapping) == 2
    entry = mapping.lookup("28.25", "nace2.1")
    assert entry is not None and entry.name["en"] == "Air conditioning"
