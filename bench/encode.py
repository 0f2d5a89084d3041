"""Part 1, the floor: the default models' own ``encode``, warm, for one profile and for batches."""

from __future__ import annotations

import time
from typing import Any

from bench.common import distinct_texts, reference_text, summary


def load_default_encoders() -> tuple[list[Any], dict[str, float]]:
    """The encoders of ``settings.encoders`` (the defaults), loaded; and the load time of each, in s."""
    from matcher.encoders import load_encoder
    from matcher.settings import Settings

    names = Settings().encoders
    encoders, load_s = [], {}
    for name in names:
        t0 = time.perf_counter()
        enc = load_encoder(name)
        enc.encode(["warm-up"])  # loads the model (import, weights, backend)
        load_s[enc.name] = time.perf_counter() - t0
        encoders.append(enc)
    return encoders, load_s


def single_rounds(encoders: list[Any], text: str, rounds: int, warm: int = 5) -> dict[str, list[float]]:
    """Per-encoder seconds for ``[text]``, measured in alternating rounds (so load drift hits all alike)."""
    for _ in range(warm):
        for enc in encoders:
            enc.encode([text])
    out: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    out["sum"] = []
    for _ in range(rounds):
        total = 0.0
        for enc in encoders:
            t0 = time.perf_counter()
            enc.encode([text])
            dt = time.perf_counter() - t0
            out[enc.name].append(dt)
            total += dt
        out["sum"].append(total)
    return out


def batch_rounds(encoders: list[Any], texts: list[str], batch: int, rounds: int) -> dict[str, list[float]]:
    """Per-encoder seconds per batch of ``batch`` texts, each round a different slice of ``texts``."""
    out: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    out["sum"] = []
    for enc in encoders:  # warm this batch shape
        enc.encode(texts[:batch])
    for r in range(rounds):
        start = (r * batch) % max(1, len(texts) - batch)
        chunk = texts[start : start + batch]
        total = 0.0
        for enc in encoders:
            t0 = time.perf_counter()
            enc.encode(chunk)
            dt = time.perf_counter() - t0
            out[enc.name].append(dt)
            total += dt
        out["sum"].append(total)
    return out


def run(quick: bool = False, log: Any = print) -> dict[str, Any]:
    text = reference_text()
    encoders, load_s = load_default_encoders()
    names = [e.name for e in encoders]
    log(f"  encoders: {', '.join(names)} (loaded in {', '.join(f'{v:.1f}' for v in load_s.values())} s)")
    n_single = 10 if quick else 40
    single = single_rounds(encoders, text, n_single)
    res: dict[str, Any] = {
        "encoders": names,
        "reference_words": len(text.split()),
        "load_s": load_s,
        "single_ms": {k: summary(v, 1000) for k, v in single.items()},
        "batch": {},
    }
    texts = distinct_texts(1000)  # the texts triage routes: the labelled profiles, cycled
    for batch in (32, 64):
        rounds = 3 if quick else 8
        br = batch_rounds(encoders, texts, batch, rounds)
        res["batch"][str(batch)] = {
            k: {"per_batch_ms": summary(v, 1000), "profiles_per_s": batch / summary(v)["median"]}
            for k, v in br.items()
        }
    for k in [*names, "sum"]:
        log(
            f"  {k:>22}: one profile {res['single_ms'][k]['median']:.1f} ms; "
            f"batch 32 {res['batch']['32'][k]['profiles_per_s']:.0f}/s; "
            f"batch 64 {res['batch']['64'][k]['profiles_per_s']:.0f}/s"
        )
    return res
