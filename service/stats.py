"""The office's dashboard (``GET /v1/stats``): inquiries per week and per cluster, the share set aside
for review, and how often officers agree with the matcher, overall, per language and per score band.

The counting is done by the database (:mod:`matcher.store_queries`); agreement and calibration read
only the latest ``last`` decisions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from matcher.config import NO_FIT
from matcher.decision import routing_correct
from matcher.store import Store
from matcher.store_queries import DecidedInquiry, cluster_counts, recent_decisions, week_counts
from service.schemas import AgreementPublic, ClusterCountPublic, ScoreBandPublic, StatsPublic, WeekPublic

#: The edges of the score bands calibration is read in.
BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def week_window(weeks: int, today: date) -> list[date]:
    """The Mondays of the ``weeks`` weeks up to and including ``today``'s, oldest first."""
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def agrees(decision: Sequence[str], officer_clusters: Sequence[str]) -> bool:
    """Whether the officer kept the matcher's routing ``decision``: its first cluster is among the
    officer's, or both found that no cluster fits (as ``matcher evaluate`` counts routing)."""
    return routing_correct(decision, officer_clusters or (NO_FIT,))


def agreement(decisions: Sequence[DecidedInquiry]) -> list[AgreementPublic]:
    """Agreement over all of ``decisions``, then per language (:data:`matcher.store_queries.LANGUAGES`)."""
    out = []
    langs: tuple[Literal["all", "en", "pl", "other"], ...] = ("all", "en", "pl", "other")
    for lang in langs:
        chosen = [d for d in decisions if lang in ("all", d.lang)]
        agreed = sum(agrees(d.decision, d.officer_clusters) for d in chosen)
        out.append(
            AgreementPublic(lang=lang, decisions=len(chosen), agreed=agreed, accuracy=_share(agreed, len(chosen)))
        )
    return out


def calibration(decisions: Sequence[DecidedInquiry], bands: Sequence[float] = BANDS) -> list[ScoreBandPublic]:
    """Per score band, every (inquiry, cluster) pair's score against whether the officer accepted the cluster."""
    pairs: list[list[tuple[float, bool]]] = [[] for _ in bands[1:]]
    for d in decisions:
        for cluster, score in d.ranking:
            band = next((i for i, high in enumerate(bands[1:]) if score < high), len(bands) - 2)
            pairs[band].append((score, cluster in d.officer_clusters))
    out = []
    for low, high, got in zip(bands[:-1], bands[1:], pairs, strict=True):
        n = len(got)
        out.append(
            ScoreBandPublic(
                low=low,
                high=high,
                pairs=n,
                mean_score=sum(s for s, _ in got) / n if n else None,
                acceptance=_share(sum(a for _, a in got), n),
            )
        )
    return out


def office_stats(
    store: Store, *, weeks: int, last: int, cluster_ids: Sequence[str] = (), today: date | None = None
) -> StatsPublic:
    """The dashboard for the ``weeks`` weeks up to ``today`` (UTC) and the ``last`` decisions; clusters
    in the order of ``cluster_ids`` (the catalogue's), then any others the inquiries name, then none."""
    mondays = week_window(weeks, today or datetime.now(UTC).date())
    since = datetime.combine(mondays[0], time(), tzinfo=UTC)
    with store.session() as s:  # one transaction: the figures agree with each other
        weekly = week_counts(s, since=since)
        by_matcher, by_officer = cluster_counts(s, since=since)
        decisions = recent_decisions(s, last=last)
    counted = {monday: (n, review) for monday, n, review in weekly}
    week_rows = [
        WeekPublic(week=m, inquiries=n, needs_review=r, review_share=_share(r, n))
        for m in mondays
        for n, r in [counted.get(m, (0, 0))]
    ]
    named = [c for c in {**by_matcher, **by_officer} if c not in cluster_ids and c != NO_FIT]
    clusters = [
        ClusterCountPublic(cluster=c, matcher=by_matcher.get(c, 0), officer=by_officer.get(c, 0))
        for c in [*cluster_ids, *sorted(named), NO_FIT]
    ]
    total = sum(w.inquiries for w in week_rows)
    review = sum(w.needs_review for w in week_rows)
    return StatsPublic(
        weeks=week_rows,
        inquiries=total,
        needs_review=review,
        review_share=_share(review, total),
        clusters=clusters,
        last=last,
        agreement=agreement(decisions),
        calibration=calibration(decisions),
    )
