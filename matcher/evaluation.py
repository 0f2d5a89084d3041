"""Metrics of a fitted matcher on labelled profiles: accuracy, routing, no-fit, per language and cluster."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import binomtest

from matcher.config import NO_FIT
from matcher.decision import routing_correct
from matcher.estimator import Matcher
from matcher.text import detect_lang
from matcher.types import LabelledProfile, MatchResult


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    top1: float | None  # over in-scope profiles
    top3: float | None
    routing: float | None  # right first cluster, or rightly no cluster
    no_fit_precision: float | None
    no_fit_recall: float | None
    ece: float | None  # calibration error of the best score vs "the best cluster is acceptable", all profiles
    review_share: float | None = None  # share of profiles set aside for a person (``needs_review``)
    routing_unreviewed: float | None = None  # routing accuracy of the profiles not set aside
    pair_ece: float | None = None  # calibration error of every (profile, cluster) score, not the best only
    #: Of every (profile, cluster) score between 0.2 and 0.9 (``MID_SCORES``): their mean minus the
    #: share an officer accepts by the labels; positive when the middling scores promise too much.
    mid_bias: float | None = None


@dataclass(frozen=True, slots=True)
class ClusterScores:
    support: int
    precision: float | None
    recall: float | None


@dataclass
class Report:
    overall: Scores
    by_language: dict[str, Scores]
    by_cluster: dict[str, ClusterScores]
    labels: list[str]  # rows and columns of the confusion matrix: clusters then "none"
    confusion: list[list[int]]  # rows: first true label; columns: first routed cluster
    provenance: dict[str, Any] = field(default_factory=dict)
    #: Reliability diagrams' points (see :func:`reliability`) of the best score ("best") and of every
    #: (profile, cluster) score ("pairs"), for "all" profiles and per language.
    reliability: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)
    #: How often a perfectly calibrated matcher with these (profile, cluster) scores would keep every
    #: band of ``MID_SCORES`` within 0.1 of its acceptance (:func:`chance_bands_hold`).
    bands_hold_by_chance: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: The middling scores, where "likely" and "unlikely" are decided: ``Scores.mid_bias`` looks at these.
MID_SCORES = (0.2, 0.9)


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |accuracy - confidence| over equal-width confidence bins."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if confidence.size == 0:
        return float("nan")
    idx = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = idx == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def scores(profiles: Sequence[LabelledProfile], results: Sequence[MatchResult]) -> Scores:
    pairs = list(zip(profiles, results, strict=True))
    inscope = [(p, r) for p, r in pairs if not p.is_no_fit]
    top1 = sum(r.ranking[0].cluster in p.labels for p, r in inscope)
    top3 = sum(any(m.cluster in p.labels for m in r.ranking[:3]) for p, r in inscope)
    right = [routing_correct(r.decision, p.labels) for p, r in pairs]
    said_none = [(p, r) for p, r in pairs if not r.decision]
    true_none = [(p, r) for p, r in pairs if p.is_no_fit]
    conf, ok = top_confidence(profiles, results)
    pair_conf, pair_ok = pair_confidence(profiles, results)
    unreviewed = [is_right for is_right, (_, r) in zip(right, pairs, strict=True) if not r.needs_review]
    return Scores(
        n=len(pairs),
        top1=_ratio(top1, len(inscope)),
        top3=_ratio(top3, len(inscope)),
        routing=_ratio(sum(right), len(pairs)),
        no_fit_precision=_ratio(sum(p.is_no_fit for p, _ in said_none), len(said_none)),
        no_fit_recall=_ratio(sum(not r.decision for _, r in true_none), len(true_none)),
        ece=round(expected_calibration_error(conf, ok), 4) if pairs else None,
        review_share=_ratio(len(pairs) - len(unreviewed), len(pairs)),
        routing_unreviewed=_ratio(sum(unreviewed), len(unreviewed)),
        pair_ece=round(expected_calibration_error(pair_conf, pair_ok), 4) if pairs else None,
        mid_bias=mid_bias(pair_conf, pair_ok) if pairs else None,
    )


def evaluate(matcher: Matcher, profiles: Sequence[LabelledProfile], *, batch_size: int = 64) -> Report:
    """Match every profile and measure; profile languages are guessed where not given."""
    results = matcher.match_many([p.text for p in profiles], explain=False, batch_size=batch_size)
    return report(matcher.classes_, profiles, results, provenance=matcher.provenance_)


def report(
    classes: Sequence[str],
    profiles: Sequence[LabelledProfile],
    results: Sequence[MatchResult],
    *,
    provenance: dict[str, Any] | None = None,
) -> Report:
    langs = [p.lang or detect_lang(p.text) for p in profiles]
    by_language = {}
    for lang in sorted(set(langs)):
        idx = [i for i, lg in enumerate(langs) if lg == lang]
        by_language[lang] = scores([profiles[i] for i in idx], [results[i] for i in idx])
    by_cluster = {}
    for c in classes:
        routed = [(p, r) for p, r in zip(profiles, results, strict=True) if r.decision and r.decision[0] == c]
        truth = [(p, r) for p, r in zip(profiles, results, strict=True) if p.labels[0] == c]
        by_cluster[c] = ClusterScores(
            support=len(truth),
            precision=_ratio(sum(c in p.labels for p, _ in routed), len(routed)),
            recall=_ratio(sum(bool(r.decision) and r.decision[0] in p.labels for p, r in truth), len(truth)),
        )
    labels = [*classes, NO_FIT]
    pos = {c: i for i, c in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for p, r in zip(profiles, results, strict=True):
        if p.labels[0] not in pos:
            continue
        got = r.decision[0] if r.decision else NO_FIT
        confusion[pos[p.labels[0]]][pos[got]] += 1
    groups = {
        "all": list(range(len(profiles))),
        **{lg: [i for i, x in enumerate(langs) if x == lg] for lg in by_language},
    }
    diagrams: dict[str, dict[str, list[dict[str, float]]]] = {"best": {}, "pairs": {}}
    for name, idx in groups.items():
        chosen = ([profiles[i] for i in idx], [results[i] for i in idx])
        diagrams["best"][name] = reliability(*top_confidence(*chosen))
        diagrams["pairs"][name] = reliability(*pair_confidence(*chosen))
    return Report(
        overall=scores(profiles, results),
        by_language=by_language,
        by_cluster=by_cluster,
        labels=labels,
        confusion=confusion,
        provenance=dict(provenance or {}),
        reliability=diagrams,
        bands_hold_by_chance=chance_bands_hold(pair_confidence(profiles, results)[0]) if profiles else None,
    )


def plot_confusion(rep: Report, path: str | Path, *, title: str = "Routing confusion matrix") -> Path:
    """Save the confusion matrix as a PNG (rows: first true label, columns: first routed cluster)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    m = np.array(rep.confusion)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(rep.labels)), rep.labels, rotation=45, ha="right")
    ax.set_yticks(range(len(rep.labels)), rep.labels)
    ax.set_xlabel("routed to (first cluster of the decision)")
    ax.set_ylabel("true (first label)")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                ax.text(
                    j, i, str(m[i, j]), ha="center", va="center", color="white" if m[i, j] > m.max() / 2 else "black"
                )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def mid_bias(confidence: np.ndarray, correct: np.ndarray) -> float | None:
    """Mean score minus the share right, over the scores in ``MID_SCORES`` (``None`` if there are none)."""
    confidence = np.asarray(confidence, dtype=float)
    mid = (confidence >= MID_SCORES[0]) & (confidence < MID_SCORES[1])
    if not mid.any():
        return None
    return round(float(confidence[mid].mean() - np.asarray(correct, dtype=float)[mid].mean()), 4)


def chance_bands_hold(
    confidence: np.ndarray, *, tolerance: float = 0.1, bins: int = 10, draws: int = 2000, seed: int = 0
) -> float:
    """How often a *perfectly calibrated* scorer with these scores would keep every bin in
    ``MID_SCORES`` within ``tolerance`` of its mean score: the labels are drawn from the scores
    themselves, ``draws`` times. What a band-by-band gap can be asked to show on a set of this size."""
    confidence = np.asarray(confidence, dtype=float)
    idx = np.minimum((confidence * bins).astype(int), bins - 1)
    lo, hi = round(MID_SCORES[0] * bins), round(MID_SCORES[1] * bins)
    groups = [confidence[idx == b] for b in range(lo, hi) if (idx == b).any()]
    if not groups:
        return 1.0
    rng = np.random.default_rng(seed)
    held = np.ones(draws, dtype=bool)
    for scores_in_bin in groups:
        drawn = rng.random((draws, scores_in_bin.size)) < scores_in_bin
        held &= np.abs(drawn.mean(axis=1) - scores_in_bin.mean()) <= tolerance
    return float(held.mean())


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Per confidence bin: mean confidence, accuracy and count (the points of a reliability diagram),
    and the 95% Wilson interval of the accuracy (``accuracy_low``, ``accuracy_high``): with a few
    dozen scores in a bin, a gap of 0.1 between confidence and accuracy can be chance alone."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    idx = np.minimum((confidence * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = idx == b
        if mask.any():
            interval = binomtest(int(correct[mask].sum()), int(mask.sum())).proportion_ci(method="wilson")
            out.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "confidence": float(confidence[mask].mean()),
                    "accuracy": float(correct[mask].mean()),
                    "count": int(mask.sum()),
                    "accuracy_low": float(interval.low),
                    "accuracy_high": float(interval.high),
                }
            )
    return out


def top_confidence(
    profiles: Sequence[LabelledProfile], results: Sequence[MatchResult]
) -> tuple[np.ndarray, np.ndarray]:
    """The best cluster's score and whether an officer accepts that cluster, for every profile.

    The score claims "the probability that this cluster is acceptable", so profiles that fit no
    cluster count too (their best cluster is never acceptable).
    """
    pairs = list(zip(profiles, results, strict=True))
    conf = np.array([r.ranking[0].score for _, r in pairs], dtype=float)
    ok = np.array([r.ranking[0].cluster in p.labels for p, r in pairs], dtype=float)
    return conf, ok


def pair_confidence(
    profiles: Sequence[LabelledProfile], results: Sequence[MatchResult]
) -> tuple[np.ndarray, np.ndarray]:
    """Every cluster's score of every profile and whether an officer accepts that cluster: each
    score claims to be that probability, the best one and the others alike."""
    pairs = list(zip(profiles, results, strict=True))
    conf = np.array([m.score for _, r in pairs for m in r.ranking], dtype=float)
    ok = np.array([m.cluster in p.labels for p, r in pairs for m in r.ranking], dtype=float)
    return conf, ok


def plot_reliability(
    confidence: np.ndarray,
    correct: np.ndarray,
    path: str | Path,
    *,
    bins: int = 10,
    title: str = "Reliability",
    xlabel: str = "score of the best cluster",
) -> Path:
    """Save a reliability diagram: accuracy against confidence per bin, with the diagonal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    points = reliability(confidence, correct, bins)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.bar(
        [p["low"] for p in points],
        [p["accuracy"] for p in points],
        width=1 / bins,
        align="edge",
        alpha=0.6,
        edgecolor="black",
        label="accuracy in bin",
    )
    ax.plot([p["confidence"] for p in points], [p["accuracy"] for p in points], "o-", color="C3", label="mean score")
    ax.errorbar(
        [p["low"] + 0.5 / bins for p in points],
        [p["accuracy"] for p in points],
        yerr=[
            [p["accuracy"] - p["accuracy_low"] for p in points],
            [p["accuracy_high"] - p["accuracy"] for p in points],
        ],
        fmt="none",
        ecolor="black",
        capsize=3,
        label="95% interval",
    )
    for p in points:
        ax.annotate(str(p["count"]), (p["low"] + 0.5 / bins, min(p["accuracy"] + 0.03, 0.97)), ha="center", fontsize=8)
    ece = expected_calibration_error(confidence, correct, bins)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction where it is right")
    ax.set_title(f"{title} (ECE {ece:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
