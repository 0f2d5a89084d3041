"""Tests for matcher/evaluation.py: calibration error, scores and reports on hand-built results, the plot."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from matcher.evaluation import ClusterScores, Report, Scores, expected_calibration_error, plot_confusion, report, scores
from matcher.types import LabelledProfile, Match, MatchResult

CLASSES = ("a", "b", "c")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _result(ranking: list[tuple[str, float]], decision: tuple[str, ...]) -> MatchResult:
    return MatchResult(
        text="-",
        lang="en",
        ranking=tuple(Match(cluster=c, label=c.upper(), score=s) for c, s in ranking),
        decision=decision,
        needs_review=False,
    )


def _case() -> tuple[list[LabelledProfile], list[MatchResult]]:
    """Six profiles with known outcomes (see each comment)."""
    profiles = [
        LabelledProfile(id="1", text="one", labels=("a",), lang="en"),
        LabelledProfile(id="2", text="two", labels=("b",), lang="en"),
        LabelledProfile(id="3", text="trzy", labels=("c",), lang="pl"),
        LabelledProfile(id="4", text="cztery", labels=("none",), lang="pl"),
        LabelledProfile(id="5", text="pięć", labels=("none",), lang="pl"),
        LabelledProfile(id="6", text="six", labels=("a", "b"), lang="en"),
    ]
    results = [
        _result([("a", 0.9), ("b", 0.2), ("c", 0.1)], ("a",)),  # right
        _result([("a", 0.8), ("b", 0.6), ("c", 0.1)], ("a",)),  # wrong first, right in top 3
        _result([("a", 0.5), ("b", 0.4), ("c", 0.3)], ()),  # said no fit for an in-scope profile
        _result([("b", 0.3), ("a", 0.2), ("c", 0.1)], ()),  # rightly no fit
        _result([("c", 0.7), ("a", 0.2), ("b", 0.1)], ("c",)),  # routed a no-fit profile
        _result([("b", 0.9), ("a", 0.8), ("c", 0.1)], ("b", "a")),  # right (second label first)
    ]
    return profiles, results


# -- expected calibration error ----------------------------------------------------------------


def test_ece_perfectly_calibrated_is_zero() -> None:
    confidence = np.array([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75])
    correct = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0, abs=1e-12)


def test_ece_certain_and_right_is_zero() -> None:
    assert expected_calibration_error(np.ones(5), np.ones(5)) == pytest.approx(0.0, abs=1e-12)


def test_ece_overconfident() -> None:
    confidence = np.full(10, 0.9)
    correct = np.array([1] * 5 + [0] * 5)
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.4)


def test_ece_weights_bins_by_size() -> None:
    # bin 0.9: accuracy 0.5, |0.5 - 0.9| = 0.4, weight 1/2; bin 0.3: accuracy 0, |0 - 0.3| = 0.3, weight 1/2
    confidence = np.array([0.9, 0.9, 0.3, 0.3])
    correct = np.array([True, False, False, False])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.35)


def test_ece_of_nothing_is_nan() -> None:
    assert math.isnan(expected_calibration_error(np.array([]), np.array([])))


# -- scores ------------------------------------------------------------------------------------


def test_scores_overall() -> None:
    profiles, results = _case()
    got = scores(profiles, results)
    assert got == Scores(
        n=6,
        top1=0.5,  # profiles 1 and 6 of the four in scope
        top3=1.0,
        routing=0.5,  # profiles 1, 4 and 6
        no_fit_precision=0.5,  # said no fit for 3 and 4; only 4 is right
        no_fit_recall=0.5,  # of 4 and 5, only 4 was found
        # all six count: 0.9 right x2 (bin 9, gap 0.1); wrong at 0.8, 0.5, 0.3 and 0.7 (the best cluster
        # of a no-fit profile is never right): (2 x 0.1 + 0.8 + 0.5 + 0.3 + 0.7) / 6
        ece=0.4167,
        review_share=0.0,  # nothing was set aside
        routing_unreviewed=0.5,
        pair_ece=0.2389,  # every cluster's score (see test_every_pair_is_calibrated_against_acceptance)
        # the 11 scores in [0.2, 0.9) sum to 5.0; three are accepted (b 0.6 of 2, c 0.3 of 3, a 0.8 of 6)
        mid_bias=round(5.0 / 11 - 3 / 11, 4),
    )


def test_scores_of_what_the_review_queue_lets_through() -> None:
    profiles, results = _case()
    # a person looks at profiles 3 and 5 (two of the three routing errors)
    queued = [dataclasses.replace(r, needs_review=i in (2, 4)) for i, r in enumerate(results)]
    got = scores(profiles, queued)
    assert got.routing == 0.5  # the queue changes nothing about the decisions
    assert got.review_share == round(2 / 6, 4)
    assert got.routing_unreviewed == 0.75  # 1, 4 and 6 right; 2 wrong and not set aside
    everything = scores(profiles, [dataclasses.replace(r, needs_review=True) for r in results])
    assert everything.review_share == 1.0 and everything.routing_unreviewed is None


def test_scores_top3_misses_a_label_ranked_fourth() -> None:
    profile = LabelledProfile(id="x", text="x", labels=("d",))
    result = _result([("a", 0.9), ("b", 0.5), ("c", 0.4), ("d", 0.3)], ("a",))
    got = scores([profile], [result])
    assert (got.top1, got.top3, got.routing) == (0.0, 0.0, 0.0)


def test_scores_without_no_fit_or_in_scope_profiles() -> None:
    profiles, results = _case()
    in_scope = scores(profiles[:2], results[:2])
    assert in_scope.no_fit_precision is None  # never said no fit
    assert in_scope.no_fit_recall is None  # no no-fit profile
    out_of_scope = scores(profiles[3:5], results[3:5])
    assert out_of_scope.top1 is None and out_of_scope.top3 is None
    assert out_of_scope.ece == 0.5  # best scores 0.3 and 0.7, both wrong: a no-fit profile has no right cluster
    assert out_of_scope.routing == 0.5


def test_scores_length_mismatch_raises() -> None:
    profiles, results = _case()
    with pytest.raises(ValueError):
        scores(profiles, results[:-1])


# -- report ------------------------------------------------------------------------------------


def test_report_overall_equals_scores() -> None:
    profiles, results = _case()
    assert report(CLASSES, profiles, results).overall == scores(profiles, results)


def test_report_per_language() -> None:
    profiles, results = _case()
    rep = report(CLASSES, profiles, results)
    assert set(rep.by_language) == {"en", "pl"}
    # ece en: bin 0.9 holds 2 of 3, both right (|1 - 0.9| = 0.1); bin 0.8 holds 1 of 3, wrong (0.8)
    assert rep.by_language["en"] == Scores(
        n=3,
        top1=0.6667,
        top3=1.0,
        routing=0.6667,
        no_fit_precision=None,
        no_fit_recall=None,
        ece=0.3333,
        review_share=0.0,
        routing_unreviewed=0.6667,
        pair_ece=rep.by_language["en"].pair_ece,
        mid_bias=0.1,  # b 0.2 of 1, a 0.8 and b 0.6 of 2, a 0.8 of 6: mean 0.6, two accepted of four
    )
    assert rep.by_language["en"].pair_ece is not None and rep.by_language["pl"].pair_ece is not None
    assert rep.by_language["pl"] == Scores(
        n=3,
        top1=0.0,
        top3=1.0,
        routing=0.3333,
        no_fit_precision=0.5,
        no_fit_recall=0.5,
        ece=0.5,
        review_share=0.0,
        routing_unreviewed=0.3333,
        pair_ece=rep.by_language["pl"].pair_ece,
        mid_bias=round(2.6 / 7 - 1 / 7, 4),  # seven middling scores summing to 2.6; only c 0.3 of 3 accepted
    )


def test_report_guesses_missing_languages() -> None:
    profiles = [
        LabelledProfile(id="1", text="Jesteśmy firmą z Gdańska i budujemy statki", labels=("a",)),
        LabelledProfile(id="2", text="We are a company from Gdansk and we build ships", labels=("a",)),
    ]
    results = [_result([("a", 0.9), ("b", 0.1), ("c", 0.1)], ("a",))] * 2
    rep = report(CLASSES, profiles, results)
    assert set(rep.by_language) == {"en", "pl"}
    assert rep.by_language["pl"].n == rep.by_language["en"].n == 1


def test_report_per_cluster() -> None:
    profiles, results = _case()
    rep = report(CLASSES, profiles, results)
    assert rep.by_cluster == {
        "a": ClusterScores(support=2, precision=0.5, recall=1.0),  # routed 1 (right) and 2 (wrong)
        "b": ClusterScores(support=1, precision=1.0, recall=0.0),  # routed 6 (b is one of its labels)
        "c": ClusterScores(support=1, precision=0.0, recall=0.0),  # routed 5 (a no-fit profile)
    }


def test_report_cluster_never_routed_nor_labelled() -> None:
    profiles, results = _case()
    rep = report((*CLASSES, "d"), profiles, results)
    assert rep.by_cluster["d"] == ClusterScores(support=0, precision=None, recall=None)


def test_report_confusion_matrix() -> None:
    profiles, results = _case()
    rep = report(CLASSES, profiles, results)
    assert rep.labels == ["a", "b", "c", "none"]
    assert rep.confusion == [
        [1, 1, 0, 0],  # a -> a (1), a -> b (6)
        [1, 0, 0, 0],  # b -> a (2)
        [0, 0, 0, 1],  # c -> none (3)
        [0, 0, 1, 1],  # none -> c (5), none -> none (4)
    ]


def test_report_confusion_skips_labels_outside_the_classes() -> None:
    profiles, results = _case()
    extra = LabelledProfile(id="7", text="seven", labels=("tourism",), lang="en")
    rep = report(CLASSES, [*profiles, extra], [*results, results[0]])
    assert sum(map(sum, rep.confusion)) == 6


def test_report_to_dict_is_json(tmp_path: Path) -> None:
    profiles, results = _case()
    rep = report(CLASSES, profiles, results, provenance={"encoders": ["fake"]})
    data = json.loads(json.dumps(rep.to_dict()))
    assert data["overall"]["n"] == 6
    assert data["by_cluster"]["a"] == {"support": 2, "precision": 0.5, "recall": 1.0}
    assert data["provenance"] == {"encoders": ["fake"]}
    assert data["confusion"][0] == [1, 1, 0, 0]


# -- plot --------------------------------------------------------------------------------------


def test_plot_confusion_writes_a_png(tmp_path: Path) -> None:
    profiles, results = _case()
    rep = report(CLASSES, profiles, results)
    target = tmp_path / "figures" / "confusion.png"
    out = plot_confusion(rep, target, title="test")
    assert out == target
    assert target.read_bytes().startswith(PNG_SIGNATURE)


def test_plot_confusion_of_an_empty_matrix(tmp_path: Path) -> None:
    rep = Report(
        overall=scores([], []), by_language={}, by_cluster={}, labels=["a", "none"], confusion=[[0, 0], [0, 0]]
    )
    out = plot_confusion(rep, tmp_path / "empty.png")
    assert out.read_bytes().startswith(PNG_SIGNATURE)


def test_every_pair_is_calibrated_against_acceptance() -> None:
    from matcher.evaluation import pair_confidence

    profiles = [
        LabelledProfile("a", "x", ("hvac", "energy")),
        LabelledProfile("b", "y", ("none",)),
    ]
    results = [
        _result([("hvac", 0.9), ("energy", 0.6), ("ict", 0.1)], ("hvac", "energy")),
        _result([("ict", 0.3), ("hvac", 0.2), ("energy", 0.1)], ()),
    ]
    conf, ok = pair_confidence(profiles, results)
    assert conf.tolist() == [0.9, 0.6, 0.1, 0.3, 0.2, 0.1]
    assert ok.tolist() == [1, 1, 0, 0, 0, 0]  # a second label is accepted too; "none" accepts no cluster
    s = scores(profiles, results)
    assert s.pair_ece == pytest.approx(expected_calibration_error(conf, ok), abs=1e-4)
    rep = report(["hvac", "energy", "ict"], profiles, results)
    assert set(rep.reliability) == {"best", "pairs"}
    assert sum(p["count"] for p in rep.reliability["pairs"]["all"]) == 6
    assert sum(p["count"] for p in rep.reliability["best"]["all"]) == 2
    assert rep.bands_hold_by_chance is not None and 0 <= rep.bands_hold_by_chance <= 1
    # 0.6 and 0.3 and 0.2 are the middling scores; only the 0.6 is accepted
    assert s.mid_bias == pytest.approx((0.6 + 0.3 + 0.2) / 3 - 1 / 3, abs=1e-4)


def test_reliability_gives_each_bin_a_wilson_interval() -> None:
    from matcher.evaluation import reliability

    conf = np.array([0.25] * 20 + [0.95] * 4)
    ok = np.array([1] * 5 + [0] * 15 + [1] * 4, dtype=float)
    low, high = reliability(conf, ok)
    assert (low["count"], low["accuracy"]) == (20, 0.25)
    # the Wilson interval of 5 in 20: about 0.11 to 0.47, so 0.25 against, say, 0.35 is no evidence
    assert low["accuracy_low"] == pytest.approx(0.1119, abs=1e-3) and low["accuracy_high"] == pytest.approx(
        0.4687, abs=1e-3
    )
    assert high["accuracy"] == 1.0 and high["accuracy_high"] == pytest.approx(1.0) and high["accuracy_low"] < 0.6


def test_mid_bias_is_none_without_middling_scores() -> None:
    from matcher.evaluation import mid_bias

    assert mid_bias(np.array([0.95, 0.05]), np.array([1.0, 0.0])) is None


def test_chance_bands_hold_is_high_for_big_bands_and_low_for_small_ones() -> None:
    from matcher.evaluation import chance_bands_hold

    big = np.repeat([0.25, 0.45, 0.65, 0.85], 400)  # 400 scores a band: a gap of 0.1 is five sigma
    small = np.repeat([0.25, 0.45, 0.65, 0.85], 10)  # 10 a band: a gap of 0.1 is common
    assert chance_bands_hold(big) > 0.99
    assert chance_bands_hold(small) < 0.3
    assert chance_bands_hold(np.array([0.05, 0.95])) == 1.0  # no middling score: nothing to miss
