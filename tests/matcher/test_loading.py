"""Building the shared matcher: store edits and feedback, and the on-disk cache of the fitted matcher."""

from __future__ import annotations

import os
import pickle

import pytest

import matcher.loading
from matcher.loading import build_matcher, effective_catalogue
from matcher.settings import Settings
from matcher.store import Store
from matcher.types import LabelledProfile


@pytest.fixture
def settings(tmp_path):
    return Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", cache_dir=tmp_path / "cache")


@pytest.fixture
def store(settings):
    s = Store(settings.database_url)
    yield s
    s.close()


def _fitted_files(settings):
    return sorted((settings.cache_dir / "fitted").glob("*.pkl"))


def test_second_build_comes_from_the_cache_and_matches_the_same(settings, store, hashing_encoder):
    first = build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert len(_fitted_files(settings)) == 1
    second = build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert second is not first
    text = "Serwis klimatyzacji i pomp ciepła w Gdyni"
    assert first.match(text).ranking == second.match(text).ranking


def test_a_model_that_fails_to_load_is_reported_even_with_a_cached_matcher(
    settings, store, hashing_encoder, monkeypatch
):
    """The fitted matcher comes from the cache without encoding: the model's failure must still surface."""
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))

    class Broken:
        name = hashing_encoder.name

        def encode(self, texts):
            raise OSError("the model files are gone")

    monkeypatch.setattr(matcher.loading, "load_encoders", lambda *args, **kwargs: [Broken()])
    with pytest.raises(OSError, match="the model files are gone"):
        build_matcher(store, **settings.matcher_args())


def test_feedback_changes_the_cache_key(settings, store, hashing_encoder):
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    store.add_feedback([LabelledProfile(id="f", text="Kutry rybackie", labels=("maritime",))])
    m = build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert len(_fitted_files(settings)) == 2
    assert m.provenance_["n_feedback"] == 1


def test_the_same_feedback_reordered_reads_the_same_fitted_matcher(settings, store, hashing_encoder):
    """Undoing a decision and making it again stores the same correction under a new id."""
    a = LabelledProfile(id="a", text="Kutry rybackie", labels=("maritime",))
    b = LabelledProfile(id="b", text="Serwis klimatyzacji", labels=("hvac",))
    first_a, _ = store.add_feedback([a, b])
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    store.withdraw_feedback(first_a)
    store.add_feedback([a])  # now after b
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert len(_fitted_files(settings)) == 1


def test_a_torn_cache_file_is_refitted(settings, store, hashing_encoder):
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    [path] = _fitted_files(settings)
    path.write_bytes(b"not a pickle")
    m = build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert m.match("Stocznia").ranking
    assert pickle.loads(path.read_bytes())  # rewritten whole


def test_only_the_most_recently_used_fitted_matchers_are_kept(settings, store, hashing_encoder, monkeypatch):
    """Every decision fits a new matcher (some 15 MB on disk): old ones are pruned, used ones stay."""
    monkeypatch.setattr(matcher.loading, "FITTED_KEEP", 3)

    def fit_with(n_feedback):
        if n_feedback:
            profile = LabelledProfile(id=f"f{n_feedback}", text=f"Kutry rybackie nr {n_feedback}", labels=("maritime",))
            store.add_feedback([profile])
        build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
        return max(_fitted_files(settings), key=lambda f: f.stat().st_mtime_ns)

    first, second, third = fit_with(0), fit_with(1), fit_with(2)
    os.utime(second, (0, 0))  # not read since
    os.utime(first, None)  # read again just now (a withdrawn correction returns to it)
    fourth = fit_with(3)
    assert set(_fitted_files(settings)) == {first, third, fourth}
    assert pickle.loads(fourth.read_bytes())["provenance_"]["n_feedback"] == 3


def test_reading_a_fitted_matcher_marks_it_as_used(settings, store, hashing_encoder):
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    [path] = _fitted_files(settings)
    os.utime(path, (0, 0))
    build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert path.stat().st_mtime > 0


def test_catalogue_edits_are_applied(settings, store, catalogue):
    store.delete_cluster("hvac")
    assert "hvac" not in effective_catalogue(store, settings.catalogue_path).ids
    assert effective_catalogue(None, settings.catalogue_path).ids == catalogue.ids


def test_a_deleted_cluster_does_not_break_the_build(settings, store, hashing_encoder):
    store.delete_cluster("energy")
    m = build_matcher(store, **(settings.matcher_args() | {"encoders": [hashing_encoder]}))
    assert "energy" not in m.classes_
    assert all(m.cluster != "energy" for m in m.match("Farma fotowoltaiczna 2 MW").ranking)
