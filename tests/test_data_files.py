"""The committed data files load and meet their bar (size, languages, label and split coverage).

The labelled profiles are ``PROFILES_PATH``; the check sets are ``CHECK_SETS`` (both in
``matcher/config.py``, the one place that names the data files).
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from matcher.catalogue import Catalogue, load_catalogue
from matcher.config import CATALOGUE_PATH, CHECK_SETS, NO_FIT, PROFILES_PATH
from matcher.profiles import SPLITS, load_profiles
from matcher.types import LabelledProfile


@pytest.fixture(scope="module")
def committed_catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_PATH)


@pytest.fixture(scope="module")
def committed_profiles(committed_catalogue: Catalogue) -> list[LabelledProfile]:
    return load_profiles(PROFILES_PATH, known=committed_catalogue.ids)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def test_catalogue_loads(committed_catalogue: Catalogue) -> None:
    assert committed_catalogue.ids == ("biochem", "maritime", "hvac", "ict", "construction", "energy")


def test_data_files_exist() -> None:
    assert PROFILES_PATH.is_file()
    assert all(path.is_file() for path in CHECK_SETS.values())


def test_at_least_240_profiles(committed_profiles: list[LabelledProfile]) -> None:
    assert len(committed_profiles) >= 240


def test_every_profile_has_a_language(committed_profiles: list[LabelledProfile]) -> None:
    assert {p.lang for p in committed_profiles} <= {"en", "pl"}


def test_at_least_40_percent_polish(committed_profiles: list[LabelledProfile]) -> None:
    polish = sum(p.lang == "pl" for p in committed_profiles)
    assert polish / len(committed_profiles) >= 0.40


def test_every_cluster_labelled_at_least_30_times(
    committed_catalogue: Catalogue, committed_profiles: list[LabelledProfile]
) -> None:
    counts = Counter(label for p in committed_profiles for label in p.labels)
    short = {cid: counts[cid] for cid in committed_catalogue.ids if counts[cid] < 30}
    assert not short, f"clusters labelled fewer than 30 times: {short}"


def test_at_least_40_no_fit(committed_profiles: list[LabelledProfile]) -> None:
    assert sum(p.labels == (NO_FIT,) for p in committed_profiles) >= 40


def test_at_least_25_with_two_labels(committed_profiles: list[LabelledProfile]) -> None:
    assert sum(len(p.labels) == 2 for p in committed_profiles) >= 25


def test_all_splits_present_and_test_is_at_least_a_fifth(committed_profiles: list[LabelledProfile]) -> None:
    splits = Counter(p.split for p in committed_profiles)
    assert set(splits) == set(SPLITS)
    assert splits["test"] / len(committed_profiles) >= 0.20


def test_ids_are_unique(committed_profiles: list[LabelledProfile]) -> None:
    ids = Counter(p.id for p in committed_profiles)
    assert not [pid for pid, n in ids.items() if n > 1]


def test_no_duplicate_texts(committed_profiles: list[LabelledProfile]) -> None:
    texts = Counter(_norm(p.text) for p in committed_profiles)
    assert not [t for t, n in texts.items() if n > 1]


def test_no_text_copies_the_catalogue(
    committed_catalogue: Catalogue, committed_profiles: list[LabelledProfile]
) -> None:
    catalogue_texts = {
        _norm(text)
        for cluster in committed_catalogue
        for lang in ("en", "pl")
        for text in (cluster.description[lang], *cluster.typical_members[lang])
    }
    copies = [p.id for p in committed_profiles if _norm(p.text) in catalogue_texts]
    assert not copies, f"profiles that copy a catalogue text: {copies}"


#: Profiles in each half of each check set.
HALVES = {
    "feedback-experiment": 80,
    "test-split-style": 95,
    "plain-profiles": 95,
    "office-inbox": 95,
    "public-self-descriptions": 95,
    "mixed-intake": 95,
    "hasty-messages": 95,
    "formal-documents": 95,
    "real-genres": 100,
}


def test_every_check_set_is_tested() -> None:
    assert set(HALVES) == set(CHECK_SETS)


@pytest.mark.parametrize(("name", "half"), HALVES.items())
def test_the_check_sets_load_in_two_halves(committed_catalogue: Catalogue, name: str, half: int) -> None:
    rows = load_profiles(CHECK_SETS[name], known=committed_catalogue.ids)
    assert Counter(p.split for p in rows) == {"half-a": half, "half-b": half}
    assert sum(p.labels == (NO_FIT,) for p in rows) >= 15
    assert sum(p.lang == "pl" for p in rows) >= 0.4 * len(rows)
    assert not {_norm(p.text) for p in rows} & {_norm(p.text) for p in load_profiles(PROFILES_PATH)}


def test_the_check_sets_share_no_text() -> None:
    sets = [{_norm(p.text) for p in load_profiles(path)} for path in CHECK_SETS.values()]
    assert len(sets) >= 5
    assert not any(a & b for i, a in enumerate(sets) for b in sets[i + 1 :])
