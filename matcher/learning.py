"""How routing improves with labelled examples: learning curves."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, fields

from matcher.cache import MemoEncoder
from matcher.catalogue import Catalogue
from matcher.encoders import Encoder
from matcher.estimator import Matcher
from matcher.evaluation import Scores, scores
from matcher.types import LabelledProfile


@dataclass(frozen=True, slots=True)
class CurvePoint:
    per_cluster: int  # examples per cluster the matcher learned from
    lang: str  # "all", "en" or "pl"
    scores: Scores


def sample_per_cluster(
    profiles: Sequence[LabelledProfile], n: int, classes: Sequence[str], *, seed: int = 0, include_none: bool = True
) -> list[LabelledProfile]:
    """Up to ``n`` profiles whose first label is each cluster (and ``n`` no-fit ones), seeded."""
    rng = random.Random(seed)
    pool = list(profiles)
    rng.shuffle(pool)
    wanted = [*classes, "none"] if include_none else list(classes)
    out: list[LabelledProfile] = []
    for c in wanted:
        out.extend([p for p in pool if p.labels[0] == c][:n])
    return out


def learning_curve(
    catalogue: Catalogue,
    train: Sequence[LabelledProfile],
    calibration: Sequence[LabelledProfile],
    test: Sequence[LabelledProfile],
    *,
    sizes: Sequence[int] = (0, 2, 5, 10, 20),
    encoders: Sequence[Encoder],
    seeds: Sequence[int] = (0, 1, 2),
    cache_dir: str | None = None,
) -> list[CurvePoint]:
    """Scores on ``test`` when the matcher learns from ``n`` examples per cluster, for each n.

    Each size is averaged over ``seeds`` (different samples of the train split); the
    calibration profiles are the same for every point.
    """
    texts = [p.text for p in test]
    encoders = [MemoEncoder(e) for e in encoders]  # the test texts are embedded once, not per point
    points: list[CurvePoint] = []
    for n in sizes:
        per_seed = []
        for seed in seeds:
            examples = sample_per_cluster(train, n, catalogue.ids, seed=seed)
            m = Matcher(list(encoders), cache_dir=cache_dir).fit(catalogue, examples, calibration=calibration)
            per_seed.append(m.match_many(texts))
        for lang in ("all", "en", "pl"):
            idx = [i for i, p in enumerate(test) if lang == "all" or p.lang == lang]
            runs = [scores([test[i] for i in idx], [res[i] for i in idx]) for res in per_seed]
            points.append(CurvePoint(n, lang, _mean_scores(runs)))
    return points


def _mean_scores(runs: list[Scores]) -> Scores:
    def avg(field: str) -> float | None:
        values = [getattr(r, field) for r in runs if getattr(r, field) is not None]
        return round(sum(values) / len(values), 4) if values else None

    return Scores(n=runs[0].n, **{f.name: avg(f.name) for f in fields(Scores) if f.name != "n"})
