"""From calibrated cluster scores to a routing decision and its doubt, and the tuning of the rule.

The whole decision lives here: which clusters a profile is routed to, and whether (and why) a
person should look at it. The thresholds are parameters of :class:`~matcher.estimator.Matcher`,
with the defaults below.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from matcher.config import NO_FIT

_EPS = 1e-6
#: Calibration is fitted on each held-out profile's best cluster (see :func:`tune_rule`).
CALIBRATE_TOP: int | None = 1
#: Inverse regularisation of the calibration: light when only the head's score is calibrated,
#: moderate once the profile's no-fit evidence joins it (5-fold CV, see :func:`tune_rule`).
PLATT_C, EVIDENCE_C = 1e4, 1.0
#: Route to the best cluster when its calibrated score reaches this: an officer is then more likely
#: to accept it than not. Fixed rather than tuned: the best plateau of routing accuracy on the dev
#: split is wide, and its middle jumped between 0.38 and 0.70 from one fit to the next as feedback
#: came in, flipping borderline no-fit profiles. (5-fold CV: routing 0.910 at 0.5, 0.909 tuned.)
ACCEPT = 0.5
#: A routed profile whose best score is under this goes to review ("low confidence").
REVIEW_BELOW = 0.8
#: ... and so does one where a cluster left out of the decision scores within this of the best.
CLOSE_MARGIN = 0.1
#: The review reason of a text that says nothing of what the organisation makes or does.
CANT_TELL = "can't tell: the text does not say what the organisation makes or does"
#: How the review reason of a text in neither English nor Polish starts (the language it reads as follows).
FOREIGN_REASON = "written in neither English nor Polish"
#: How much closer to the texts that say nothing of a sector than to out-of-scope profiles a text
#: must be to be called unclear rather than out of scope (see :meth:`EvidenceIndex.unclear_margin`).
#: The middle of the best plateau on the dev split when chosen: of the texts with no routing, 40 of
#: 44 that say nothing of a sector were called unclear, and 0 to 2 of the 69 out-of-scope profiles
#: (with today's calibration, data v8 and catalogue v2: 40 of 42 and 7 of 90).
UNCLEAR_MARGIN = -0.03
#: A text whose nearest neighbour among everything the matcher knows is one of the texts that say
#: nothing of a sector (slogans, mission statements, greetings: see
#: :meth:`EvidenceIndex.silence_margin`) gets "can't tell" whatever its scores, and its scores are
#: scaled down to the share of such calibration texts an officer accepted (:func:`silence_cap`). Zero:
#: the nearest neighbour decides, nothing tuned. "We are a passionate team dedicated to excellence"
#: scored hvac 0.80 before; in data v8 no member it flags had a score of 0.5 or more.
SILENCE_MARGIN = 0.0
#: A profile with fewer words than this goes to review whatever its scores ("test", "hello"). None
#: of the labelled profiles in data/ is that short, so no measured figure depends on it.
MIN_WORDS = 3


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(p / (1 - p)))


def _rank_inputs(lr: np.ndarray) -> np.ndarray:
    """Per (profile, cluster) pair of logits ``lr`` (..., n_clusters), what the calibration weighs
    beside the pair's own logit; shape (..., n_clusters, 8).

    For the best cluster: that it is the best, its logit, its margin over the second and its logit
    squared. For the others: the best's logit, how far the pair is above the second (zero for the
    second, negative further down), their own logit squared and the best's. The squares let a
    confident best make a faint second less likely than a straight line in the logits would (a
    single-cluster profile's second is rarely accepted). Logits are clipped to the range where the
    calibration profiles have them.
    """
    ordered = -np.sort(-lr, axis=-1)
    best = ordered[..., :1]
    second = ordered[..., 1:2] if lr.shape[-1] > 1 else best  # one cluster: it is its own second
    is_best = (lr >= best).astype(np.float64)
    other = 1.0 - is_best
    best = np.broadcast_to(best, lr.shape)
    return np.stack(
        [
            is_best,
            is_best * lr,
            is_best * np.clip(best - second, 0.0, 8.0),
            is_best * np.clip(lr, -6.0, 6.0) ** 2 / 6.0,
            other * best,
            other * (lr - second),
            other * np.clip(lr, -8.0, 4.0) ** 2 / 8.0,
            other * np.clip(best, -6.0, 8.0) ** 2 / 8.0,
        ],
        axis=-1,
    )


@dataclass(frozen=True, slots=True)
class DecisionRule:
    """Platt calibration of the head's scores, then thresholds on the calibrated scores.

    The calibration may also weigh the profile's *no-fit evidence* (``evidence``: how closely it
    resembles profiles that fit no cluster, one number per similarity source, and the classifier's
    no-fit score): a profile that looks like a shop or a news portal then scores lower on every
    cluster, however much it talks like one.

    With ``rank`` weights the calibration covers every cluster of a ranking, not the best alone:
    it also weighs whether a cluster is the best, the best's margin over the second, and where the
    others stand against the best and the second (see :func:`_rank_inputs`), so that the second and
    third clusters' scores are, like the best one's, the probability that an officer accepts them.

    - the best cluster is routed to when its score reaches ``accept``; otherwise no cluster fits;
    - a second cluster joins when its score reaches ``second`` (up to ``max_labels``);
    - a person should look when the text is in neither English nor Polish, when nothing fits,
      when the best score is under ``review_below``, when a cluster left out of the decision
      scores within ``close_margin`` of the best, or when the text has fewer than ``min_words``
      words; the reason says which, in that order.
    """

    slope: float = 1.0
    intercept: float = 0.0
    evidence: tuple[float, ...] = ()
    rank: tuple[float, ...] = ()
    accept: float = ACCEPT
    second: float = ACCEPT
    review_below: float = REVIEW_BELOW
    close_margin: float = CLOSE_MARGIN
    max_labels: int = 2
    min_words: int = MIN_WORDS

    def calibrate(self, raw: np.ndarray, evidence: np.ndarray | None = None) -> np.ndarray:
        """Calibrated scores for ``raw`` (n_profiles, n_clusters), or (n_clusters,) for one profile.

        ``evidence`` holds each profile's no-fit evidence, (n_profiles, n_evidence) or (n_evidence,);
        it is required when the rule was fitted with it.
        """
        raw = np.asarray(raw, dtype=np.float64)
        lr = _logit(raw)
        z = self.slope * lr + self.intercept
        if self.rank:
            z = z + _rank_inputs(lr) @ np.asarray(self.rank)
        if self.evidence:
            if evidence is None:
                raise ValueError("this rule weighs no-fit evidence: pass the profiles' evidence")
            shift = np.asarray(evidence, dtype=np.float64) @ np.asarray(self.evidence)
            z = z + (shift[..., None] if raw.ndim > 1 else shift)
        return 1.0 / (1.0 + np.exp(-z))

    def decide(
        self,
        ranked_scores: np.ndarray,
        ranked_ids: Sequence[str],
        *,
        words: int | None = None,
        foreign: str | None = None,
        unclear: bool = False,
    ) -> tuple[list[str], bool, str | None]:
        """``ranked_scores`` best first. Returns (decision, needs_review, reason).

        ``words`` is the text's number of words and ``foreign`` the language it reads as when that
        is neither English nor Polish (see :func:`matcher.text.foreign_language`); a foreign text
        is still routed by its scores, but by a guess, so that is the reason given. ``unclear``
        says the text resembles those that say nothing of what an organisation does: when no
        cluster fits, the reason is then that nobody can tell, not that it is out of scope.
        """
        decision, review, reason = self._by_scores(ranked_scores, ranked_ids)
        if foreign:
            return decision, True, f"{FOREIGN_REASON} (it reads as {foreign})"
        if unclear and not decision:
            return decision, True, CANT_TELL
        if words is not None and words < self.min_words and not review:  # the scores rest on too little
            return decision, True, f"too short to judge ({words} {'word' if words == 1 else 'words'})"
        return decision, review, reason

    def _by_scores(self, ranked_scores: np.ndarray, ranked_ids: Sequence[str]) -> tuple[list[str], bool, str | None]:
        decision: list[str] = []
        if ranked_scores[0] >= self.accept:
            decision.append(ranked_ids[0])
            for score, cid in zip(ranked_scores[1 : self.max_labels], ranked_ids[1 : self.max_labels], strict=True):
                if score >= self.second:
                    decision.append(cid)
        if not decision:
            return decision, True, "no cluster fits well enough"
        if ranked_scores[0] < self.review_below:
            return decision, True, f"low confidence ({ranked_scores[0]:.2f})"
        if len(ranked_scores) > len(decision) and ranked_scores[len(decision)] >= ranked_scores[0] - self.close_margin:
            return decision, True, f"close second: {ranked_ids[len(decision)]}"
        return decision, False, None


def calibrate_by_language(
    shared: DecisionRule,
    by_language: dict[str, DecisionRule],
    langs: Sequence[str],
    raw: np.ndarray,
    evidence: np.ndarray | None,
) -> tuple[np.ndarray, list[DecisionRule]]:
    """Calibrated scores (n, k) for the head's ``raw`` scores, each profile by its language's rule
    (``shared`` when its language has none), and the rule that calibrated each."""
    rules = [by_language.get(lang, shared) for lang in langs]
    if all(r is shared for r in rules):
        return shared.calibrate(raw, evidence), rules
    rows = [
        rule.calibrate(raw[i : i + 1], None if evidence is None else evidence[i : i + 1])
        for i, rule in enumerate(rules)
    ]
    return np.vstack(rows), rules


def routing_correct(decision: Sequence[str], labels: Sequence[str]) -> bool:
    """Right first cluster, or rightly no cluster."""
    if tuple(labels) == (NO_FIT,):
        return not decision
    return bool(decision) and decision[0] in labels


def set_f1(decision: Sequence[str], labels: Sequence[str]) -> float:
    truth = set() if tuple(labels) == (NO_FIT,) else set(labels)
    got = set(decision)
    if not truth and not got:
        return 1.0
    if not truth or not got:
        return 0.0
    tp = len(truth & got)
    return 2 * tp / (len(truth) + len(got))


def silence_cap(silent: np.ndarray, labels: Sequence[Sequence[str]]) -> float:
    """How often a calibration text flagged ``silent`` (see :data:`SILENCE_MARGIN`) was accepted for
    some cluster: (members + 1) / (flagged + 2), so a handful of flagged texts gives no certainty."""
    flagged = [tuple(lab) for lab, s in zip(labels, silent, strict=True) if s]
    members = sum(lab not in ((), (NO_FIT,)) for lab in flagged)
    return (members + 1) / (len(flagged) + 2)


def cap_silent(probs: np.ndarray, silent: np.ndarray, cap: float) -> np.ndarray:
    """``probs`` (n, k) with each ``silent`` text's scores scaled so that none exceeds ``cap``
    (scaled, not clipped, so the clusters keep their order)."""
    best = probs.max(axis=1, keepdims=True)
    factor = np.where(np.asarray(silent, dtype=bool)[:, None] & (best > cap), cap / np.maximum(best, 1e-12), 1.0)
    return probs * factor


def tune_rule(
    raw: np.ndarray,
    labels: Sequence[Sequence[str]],
    classes: Sequence[str],
    *,
    max_labels: int = 2,
    calibrate_top: int | None = CALIBRATE_TOP,
    evidence: np.ndarray | None = None,
    accept: float | None = ACCEPT,
    like: DecisionRule | None = None,
    all_pairs: bool = False,
) -> DecisionRule:
    """Fit Platt calibration and choose the thresholds on held-out profiles (never the test split).

    ``raw`` is the head's score matrix (n_profiles, n_clusters) for those profiles; ``evidence``,
    optionally, their no-fit evidence (n_profiles, n_evidence), which then joins the calibration
    as extra inputs. (5-fold CV on v4's train+dev rows with v6's data: routing 0.899 -> 0.907,
    no-fit precision 0.79 -> 0.81 and recall 0.81 -> 0.86, ECE 0.024 -> 0.018.) Calibration is
    fitted on each profile's ``calibrate_top`` best clusters (all when ``None``): the best score is
    the one a routing and the review queue go by, and the many clear negatives would otherwise
    dominate the fit. (5-fold CV on v4's train+dev rows with v5's data: the best cluster only gives
    ECE 0.030 and second-ranked scores 0.027; the best two, 0.043 and 0.014; routing 0.886 / 0.889.)
    The accept threshold is ``accept`` (see :data:`ACCEPT`), or tuned for routing accuracy when
    ``None``; the threshold for a second cluster is tuned for the decisions' F1. The other
    thresholds (for review) are those of ``like``.

    With ``all_pairs`` every (profile, cluster) pair is calibrated, with the cluster's rank as
    inputs (see :class:`DecisionRule`), and a second cluster joins the decision when its score
    reaches ``accept`` too: a cluster the scores call likely is in the decision. (v7, 5-fold CV
    over the train profiles' out-of-fold scores and dev, five seeds: the rank inputs of
    :func:`_rank_inputs` against the best flag, its logit and the distance from the best alone:
    largest reliability gap over 0.2-0.9 0.082 -> 0.066, ECE 0.0039 -> 0.0028, routing 0.899 -> 0.908.)
    """
    y = np.array([[c in lab for c in classes] for lab in labels], dtype=int)
    if all_pairs:
        return _all_pairs_rule(
            raw, y, evidence, like or DecisionRule(), max_labels, ACCEPT if accept is None else accept
        )
    if calibrate_top is not None:
        top = np.argsort(-raw, axis=1, kind="stable")[:, :calibrate_top]
        x_cal, y_cal = np.take_along_axis(raw, top, axis=1), np.take_along_axis(y, top, axis=1)
    else:
        x_cal, y_cal = raw, y
    inputs = _logit(x_cal).reshape(-1, 1)
    if evidence is not None:  # each profile's evidence beside each of its calibrated scores
        inputs = np.hstack([inputs, np.repeat(np.asarray(evidence, dtype=np.float64), x_cal.shape[1], axis=0)])
    platt = LogisticRegression(C=PLATT_C if evidence is None else EVIDENCE_C, max_iter=5000)
    platt.fit(inputs, y_cal.reshape(-1))
    rule = dataclasses.replace(
        like or DecisionRule(),
        slope=float(platt.coef_[0, 0]),
        intercept=float(platt.intercept_[0]),
        evidence=tuple(float(w) for w in platt.coef_[0, 1:]),
        max_labels=max_labels,
    )
    probs = rule.calibrate(raw, evidence)
    order = np.argsort(-probs, axis=1, kind="stable")
    ranked = np.take_along_axis(probs, order, axis=1)
    ids = [[classes[j] for j in row] for row in order]
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)

    def best(values: list[float]) -> float:
        scores = np.array(values)
        top = np.flatnonzero(scores >= scores.max() - 1e-9)
        return float(grid[top[len(top) // 2]])  # the middle of the best plateau

    if accept is None:
        accept = best(
            [
                float(
                    np.mean(
                        [
                            routing_correct(ids[i][:1] if ranked[i, 0] >= t else [], labels[i])
                            for i in range(len(labels))
                        ]
                    )
                )
                for t in grid
            ]
        )

    def f1_at(second: float) -> float:
        r = dataclasses.replace(rule, accept=accept, second=second)
        return float(np.mean([set_f1(r.decide(ranked[i], ids[i])[0], labels[i]) for i in range(len(labels))]))

    second = best([f1_at(t) for t in grid])
    return dataclasses.replace(rule, accept=accept, second=max(second, accept))


def _all_pairs_rule(
    raw: np.ndarray, y: np.ndarray, evidence: np.ndarray | None, like: DecisionRule, max_labels: int, accept: float
) -> DecisionRule:
    """Calibration of every (profile, cluster) pair, with the cluster's rank among the inputs."""
    lr = _logit(np.asarray(raw, dtype=np.float64))
    n, k = lr.shape
    ranks = _rank_inputs(lr)
    inputs = np.hstack([lr.reshape(-1, 1), ranks.reshape(n * k, -1)])
    if evidence is not None:  # each profile's evidence beside each of its pairs
        inputs = np.hstack([inputs, np.repeat(np.asarray(evidence, dtype=np.float64), k, axis=0)])
    platt = LogisticRegression(C=EVIDENCE_C, max_iter=5000).fit(inputs, y.reshape(-1))
    coef = platt.coef_[0]
    return dataclasses.replace(
        like,
        slope=float(coef[0]),
        intercept=float(platt.intercept_[0]),
        rank=tuple(float(w) for w in coef[1 : 1 + ranks.shape[-1]]),
        evidence=tuple(float(w) for w in coef[1 + ranks.shape[-1] :]),
        max_labels=max_labels,
        accept=accept,
        second=accept,
    )


def tune_rules(
    raw: np.ndarray,
    labels: Sequence[Sequence[str]],
    classes: Sequence[str],
    *,
    evidence: np.ndarray | None,
    langs: Sequence[str] | None,
    like: DecisionRule,
    accept: float | None,
    all_pairs: bool = False,
    min_rows: int = 40,
) -> tuple[DecisionRule, dict[str, DecisionRule]]:
    """:func:`tune_rule` on all the calibration profiles, and, given their ``langs``, on each language
    with at least ``min_rows`` of them. Returns the shared rule and the rules by language."""

    def tuned(rows: np.ndarray) -> DecisionRule:
        return tune_rule(
            raw[rows],
            [labels[i] for i in rows],
            classes,
            max_labels=like.max_labels,
            evidence=None if evidence is None else evidence[rows],
            accept=accept,
            like=like,
            all_pairs=all_pairs,
        )

    shared = tuned(np.arange(len(labels)))
    by_language: dict[str, DecisionRule] = {}
    if langs is not None:
        codes = np.asarray(langs)
        for lang in np.unique(codes):
            rows = np.flatnonzero(codes == lang)
            if rows.size >= min_rows:
                by_language[str(lang)] = tuned(rows)
    return shared, by_language
