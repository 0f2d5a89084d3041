"""Part 2: ``Matcher.match`` for one profile, paired with the raw encode by the same encoder objects.

Each round times, back to back and in rotating order: the raw encode of the reference profile by
every encoder of the matcher (``matcher.encoders_[i].encode([text])``), ``match(text)`` (the
default ``explain=True``) and ``match(text, explain=False)``. Pairing in rounds keeps the ratio
honest on a machine whose load changes under us.

It also splits one match into its stages (with the matcher's private methods; skipped if they
change): embedding, pair features + head, calibration and decision, explanation. And it times
``match_many`` on a batch of 64 against the raw encode of the same 64 texts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.common import distinct_texts, reference_text, summary

if TYPE_CHECKING:
    from matcher.encoders import Encoder


def _rounds(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    names = list(fns)
    out: dict[str, list[float]] = {k: [] for k in names}
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for k in order:
            t0 = time.perf_counter()
            fns[k]()
            out[k].append(time.perf_counter() - t0)
    return out


def stage_breakdown(m: Any, text: str, rounds: int) -> dict[str, Any]:
    """Milliseconds per stage of ``match(text)`` (explain=True), medians of ``rounds``.

    "embed" is the text by every model plus the explanation's passages by the first, in one call.
    """
    from matcher.decision import calibrate_by_language
    from matcher.explain import explain_clusters, passages_to_embed
    from matcher.results import rank
    from matcher.text import detect_lang
    from matcher.threads import encode_all

    stages: dict[str, list[float]] = {
        k: [] for k in ("embed", "features_and_head", "calibrate", "result_no_explain", "explain")
    }
    for _ in range(rounds):
        t0 = time.perf_counter()
        emb, parts = encode_all(m.encoders_, [text], [p.text for p in passages_to_embed(text)])
        t1 = time.perf_counter()
        lang = detect_lang(text)
        raw, evidence = m._raw_scores([text], emb, [lang])
        t2 = time.perf_counter()
        probs, rules = calibrate_by_language(m.rule_, m.language_rules_, [lang], raw, evidence)
        t3 = time.perf_counter()
        ranked = rank(probs[0], rules[0], m.classes_, text)
        ranked.result(text, lang, m.catalogue_, {}, m.provenance_)
        t4 = time.perf_counter()
        explain_clusters(m.index_, m.encoders_[0], text, ranked.explain(None), whole=emb[0][0], parts=parts)
        t5 = time.perf_counter()
        for k, dt in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            stages[k].append(dt)
    return {k: summary(v, 1000) for k, v in stages.items()}


def _raw_encode(enc: Encoder, text: str) -> Callable[[], Any]:
    """``enc.encode([text])`` as a timed function, bound to this encoder (not the loop's last)."""
    return lambda: enc.encode([text])


def run(quick: bool = False, log: Any = print, floor: Any = None) -> dict[str, Any]:
    from matcher.estimator import Matcher
    from matcher.threads import single_blas_thread

    single_blas_thread()  # as the CLI and the service run the matcher

    text = reference_text()
    t0 = time.perf_counter()
    # The floor's models (already loaded), so the raw encodes and the matcher use the same objects.
    m = Matcher.from_defaults(encoders=floor.encoders) if floor is not None else Matcher.from_defaults()
    fit_s = time.perf_counter() - t0
    log(f"  Matcher.from_defaults(): {fit_s:.1f} s (fit from the embedding cache)")
    for _ in range(5):  # warm every path
        m.match(text)
        m.match(text, explain=False)
    fns: dict[str, Callable[[], Any]] = {}
    for enc in m.encoders_:
        fns[f"raw:{enc.name}"] = _raw_encode(enc, text)
    fns["match"] = lambda: m.match(text)
    fns["match_no_explain"] = lambda: m.match(text, explain=False)
    rounds = 10 if quick else 40
    samples = _rounds(fns, rounds)
    raw_sum = [sum(samples[k][i] for k in samples if k.startswith("raw:")) for i in range(rounds)]
    res: dict[str, Any] = {
        "fit_s": fit_s,
        "encoders": [e.name for e in m.encoders_],
        "ms": {k: summary(v, 1000) for k, v in samples.items()},
    }
    res["ms"]["raw_sum"] = summary(raw_sum, 1000)
    # Paired ratios, round by round, then the median.
    res["paired_ratio"] = {
        k: summary([samples[k][i] / raw_sum[i] for i in range(rounds)]) for k in ("match", "match_no_explain")
    }
    try:
        res["stages_ms"] = stage_breakdown(m, text, 5 if quick else 20)
    except (AttributeError, TypeError) as exc:  # the private API moved: no breakdown, no failure
        res["stages_ms"] = {"error": f"{type(exc).__name__}: {exc}"}
    # match_many on a batch against the raw encode of the same batch
    texts = distinct_texts(1000)
    batch_fns: dict[str, Callable[[], Any]] = {}
    chunks = [texts[i * 64 : (i + 1) * 64] for i in range(2 if quick else 5)]
    it = {"i": 0}

    def raw_batch() -> None:
        for enc in m.encoders_:
            enc.encode(chunks[it["i"] % len(chunks)])

    def many() -> None:
        m.match_many(chunks[it["i"] % len(chunks)], explain=False)

    batch_fns = {"raw_batch64": raw_batch, "match_many64": many}
    m.match_many(chunks[0], explain=False)
    bs: dict[str, list[float]] = {k: [] for k in batch_fns}
    for r in range(len(chunks)):
        it["i"] = r
        for k, fn in batch_fns.items():
            t1 = time.perf_counter()
            fn()
            bs[k].append(time.perf_counter() - t1)
    res["batch64"] = {
        k: {"per_batch_ms": summary(v, 1000), "profiles_per_s": 64 / summary(v)["median"]} for k, v in bs.items()
    }
    ms = res["ms"]
    log(
        f"  raw encode (sum) {ms['raw_sum']['median']:.1f} ms; match {ms['match']['median']:.1f} ms "
        f"(paired ratio {res['paired_ratio']['match']['median']:.2f}x); match explain=False "
        f"{ms['match_no_explain']['median']:.1f} ms ({res['paired_ratio']['match_no_explain']['median']:.2f}x)"
    )
    if "error" not in res["stages_ms"]:
        log("  stages: " + ", ".join(f"{k} {v['median']:.1f} ms" for k, v in res["stages_ms"].items()))
    log(
        f"  batch of 64: raw {res['batch64']['raw_batch64']['profiles_per_s']:.1f}/s, "
        f"match_many {res['batch64']['match_many64']['profiles_per_s']:.1f}/s"
    )
    return res
