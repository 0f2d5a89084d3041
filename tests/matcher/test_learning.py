"""Learning from labelled examples: learning curves, and the guard rails of feedback."""

from __future__ import annotations

import pytest

from matcher.learning import learning_curve, sample_per_cluster
from matcher.loading import build_matcher
from matcher.profiles import by_split
from matcher.settings import Settings
from matcher.store import Store
from matcher.types import LabelledProfile


def test_sample_per_cluster_takes_n_of_each(profiles, catalogue):
    sample = sample_per_cluster(by_split(profiles, "train"), 3, catalogue.ids, seed=1)
    firsts = [p.labels[0] for p in sample]
    assert all(firsts.count(c) == 3 for c in [*catalogue.ids, "none"])
    assert sample == sample_per_cluster(by_split(profiles, "train"), 3, catalogue.ids, seed=1)


def test_learning_curve_has_a_point_per_size_and_language(profiles, catalogue, hashing_encoder):
    curve = learning_curve(
        catalogue,
        by_split(profiles, "train"),
        by_split(profiles, "dev"),
        by_split(profiles, "test")[:40],
        sizes=(0, 5),
        encoders=[hashing_encoder],
        seeds=(0,),
    )
    assert [(p.per_cluster, p.lang) for p in curve] == [(n, lang) for n in (0, 5) for lang in ("all", "en", "pl")]
    assert all(0 <= p.scores.routing <= 1 for p in curve)


# -- guard rails, with the real models ------------------------------------------------------

WRONG = LabelledProfile(
    id="wrong", text="Remontujemy statki i kadłuby w stoczni w Gdańsku, spawanie i malowanie burt.", labels=("ict",)
)


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


@pytest.fixture
def settings(real_matcher, tmp_path):
    return Settings(database_url=f"sqlite:///{tmp_path / 'store.db'}", cache_dir=real_matcher.cache_dir)


def _routes(m, texts):
    return [r.decision for r in m.match_many(texts)]


@pytest.mark.slow
def test_one_wrong_correction_does_not_flip_unrelated_profiles(real_matcher, store, settings, profiles):
    unrelated = [p.text for p in by_split(profiles, "test") if "maritime" not in p.labels][:60]
    store.add_feedback([WRONG], source="officer")
    with_wrong = build_matcher(store, **(settings.matcher_args() | {"encoders": real_matcher.encoders_}))
    before, after = _routes(real_matcher, unrelated), _routes(with_wrong, unrelated)
    changed = sum(a != b for a, b in zip(before, after, strict=True))
    # Measured: 1 of 60 (a Gdańsk printing house that was borderline no-fit moves to ict).
    assert changed <= 1, f"{changed} of {len(unrelated)} unrelated routings changed"


@pytest.mark.slow
def test_withdrawing_feedback_restores_the_earlier_routing(real_matcher, store, settings, profiles):
    texts = [WRONG.text, *[p.text for p in by_split(profiles, "test")[:30]]]
    baseline = build_matcher(store, **(settings.matcher_args() | {"encoders": real_matcher.encoders_}))
    [fid] = store.add_feedback([WRONG], source="officer")
    store.withdraw_feedback(fid)
    restored = build_matcher(store, **(settings.matcher_args() | {"encoders": real_matcher.encoders_}))
    assert [r.ranking for r in baseline.match_many(texts)] == [r.ranking for r in restored.match_many(texts)]


@pytest.mark.slow
def test_repeated_corrections_do_teach_the_matcher(real_matcher, store, settings):
    """Feedback has an effect: a cluster the office keeps choosing for a kind of profile wins."""
    text = "Hodujemy ślimaki winniczki i sprzedajemy śluz ślimaka producentom kosmetyków."
    before = real_matcher.match(text, explain=False)
    examples = [
        "Ferma ślimaków: śluz do kremów i serum, dostawy dla laboratoriów kosmetycznych.",
        "Snail farm supplying filtered snail mucin to cosmetics labs for creams and serums.",
        "Pozyskujemy śluz ślimaka i oczyszczamy go do zastosowań kosmetycznych.",
    ]
    store.add_feedback([LabelledProfile(id=f"s{i}", text=t, labels=("biochem",)) for i, t in enumerate(examples)])
    after = build_matcher(store, **(settings.matcher_args() | {"encoders": real_matcher.encoders_})).match(
        text, explain=False
    )
    score = {m.cluster: m.score for m in after.ranking}
    assert after.ranking[0].cluster == "biochem"
    assert score["biochem"] >= {m.cluster: m.score for m in before.ranking}["biochem"]
