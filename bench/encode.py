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
            k: {"per_batch_ms": summary(v, 1000), "profiles_per_s": batch / summary(v)["median"]} for k, v in br.items()
        }
    if not quick:
        res["what_if"] = what_if(encoders, text, texts, log)
    for k in [*names, "sum"]:
        log(
            f"  {k:>22}: one profile {res['single_ms'][k]['median']:.1f} ms; "
            f"batch 32 {res['batch']['32'][k]['profiles_per_s']:.0f}/s; "
            f"batch 64 {res['batch']['64'][k]['profiles_per_s']:.0f}/s"
        )
    return res


def what_if(encoders: list[Any], text: str, texts: list[str], log: Any = print) -> dict[str, Any]:
    """For information, not the floor: one thread per model, and 8 concurrent profiles as one batch.

    The matcher runs each model with as many threads as cores; on two cores shared with other
    processes (or other requests) that can be slower than one thread. And a service could encode
    concurrent requests together: a batch of 8 copies of the reference profile shows what that buys.
    """
    from matcher.encoders import UseEncoder, available_cores

    out: dict[str, Any] = {}
    cores = available_cores()
    # micro-batching: 8 profiles like the reference in one call, per profile
    eight = [text] * 8
    for enc in encoders:
        enc.encode(eight)
    b8 = {enc.name: [] for enc in encoders}
    for _ in range(8):
        for enc in encoders:
            t0 = time.perf_counter()
            enc.encode(eight)
            b8[enc.name].append((time.perf_counter() - t0) / 8)
    out["batch8_same_length_ms_per_profile"] = {k: summary(v, 1000) for k, v in b8.items()}
    # one thread per model
    try:
        import torch
    except ImportError:  # pragma: no cover
        return out
    one = []
    for enc in encoders:
        if isinstance(enc, UseEncoder):
            u = UseEncoder(threads=1)
            u.encode(["warm-up"])
            u.name = enc.name
            one.append(u)
        else:
            one.append(enc)  # same object: torch's thread count is process-wide
    torch.set_num_threads(1)
    try:
        single = single_rounds(one, text, 30)
        batch = batch_rounds(one, texts, 64, 5)
    finally:
        torch.set_num_threads(cores)
    out["one_thread"] = {
        "single_ms": {k: summary(v, 1000) for k, v in single.items()},
        "batch64_profiles_per_s": {k: 64 / summary(v)["median"] for k, v in batch.items()},
    }
    log(
        f"  what-if: 1 thread per model: one profile {out['one_thread']['single_ms']['sum']['median']:.1f} ms, "
        f"batch 64 {out['one_thread']['batch64_profiles_per_s']['sum']:.0f}/s; "
        "batch of 8 like profiles: "
        + ", ".join(f"{k} {v['median']:.1f} ms/profile" for k, v in out["batch8_same_length_ms_per_profile"].items())
    )
    return out
