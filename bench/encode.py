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


def isolated(encoders: list[Any], text: str, n: int = 30) -> dict[str, list[float]]:
    """Each encoder alone, ``n`` calls back to back (no other model's threads in between)."""
    out: dict[str, list[float]] = {}
    for enc in encoders:
        for _ in range(3):
            enc.encode([text])
        xs = []
        for _ in range(n):
            t0 = time.perf_counter()
            enc.encode([text])
            xs.append(time.perf_counter() - t0)
        out[enc.name] = xs
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


def run(quick: bool = False, log: Any = print, floor: Any = None) -> dict[str, Any]:
    text = reference_text()
    if floor is not None:
        encoders, load_s = floor.encoders, floor.load_s
    else:
        encoders, load_s = load_default_encoders()
    names = [e.name for e in encoders]
    log(f"  encoders: {', '.join(names)} (loaded in {', '.join(f'{v:.1f}' for v in load_s.values())} s)")
    n_single = 10 if quick else 40
    single = single_rounds(encoders, text, n_single)
    iso = isolated(encoders, text, 10 if quick else 30)
    iso_ms = {k: summary(v, 1000) for k, v in iso.items()}
    iso_ms["sum"] = {
        "median": sum(v["median"] for v in iso_ms.values()),
        "p10": float("nan"),
        "p90": float("nan"),
        "min": float("nan"),
        "n": len(iso),
    }
    res: dict[str, Any] = {
        "isolated_single_ms": iso_ms,
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
    log(
        "  isolated (each model alone, back to back): "
        + ", ".join(f"{k} {v['median']:.1f} ms" for k, v in iso_ms.items())
    )
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
    b8: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    s1: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    for _ in range(10):
        for enc in encoders:
            t0 = time.perf_counter()
            enc.encode(eight)
            b8[enc.name].append((time.perf_counter() - t0) / 8)
            t0 = time.perf_counter()
            enc.encode([text])
            s1[enc.name].append(time.perf_counter() - t0)
    out["batch8_same_length_ms_per_profile"] = {k: summary(v, 1000) for k, v in b8.items()}
    out["batch8_paired_single_ms"] = {k: summary(v, 1000) for k, v in s1.items()}
    # one thread per model, interleaved round by round with the default setting
    try:
        import torch
    except ImportError:  # pragma: no cover
        return out
    one: dict[str, Any] = {}
    for enc in encoders:
        if isinstance(enc, UseEncoder):
            u = UseEncoder(threads=1)
            u.encode(["warm-up"])
            one[enc.name] = u
        else:
            one[enc.name] = enc  # same object: torch's thread count is process-wide
    default_s: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    one_s: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    b_default: list[float] = []
    b_one: list[float] = []
    try:
        for r in range(30):
            for enc in encoders:
                torch.set_num_threads(cores)
                t0 = time.perf_counter()
                enc.encode([text])
                default_s[enc.name].append(time.perf_counter() - t0)
                torch.set_num_threads(1)
                t0 = time.perf_counter()
                one[enc.name].encode([text])
                one_s[enc.name].append(time.perf_counter() - t0)
            if r < 4:
                chunk = texts[r * 64 : (r + 1) * 64]
                torch.set_num_threads(cores)
                t0 = time.perf_counter()
                for enc in encoders:
                    enc.encode(chunk)
                b_default.append(time.perf_counter() - t0)
                torch.set_num_threads(1)
                t0 = time.perf_counter()
                for enc in encoders:
                    one[enc.name].encode(chunk)
                b_one.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(cores)
    n = len(default_s[encoders[0].name])
    single = dict(one_s)
    single["sum"] = [sum(one_s[k][i] for k in one_s) for i in range(n)]
    paired_default = dict(default_s)
    paired_default["sum"] = [sum(default_s[k][i] for k in default_s) for i in range(n)]
    batch = {"sum": b_one}
    out["one_thread"] = {
        "single_ms": {k: summary(v, 1000) for k, v in single.items()},
        "paired_default_single_ms": {k: summary(v, 1000) for k, v in paired_default.items()},
        "batch64_profiles_per_s": {k: 64 / summary(v)["median"] for k, v in batch.items()},
        "paired_default_batch64_profiles_per_s": 64 / summary(b_default)["median"],
    }
    log(
        f"  what-if: 1 thread per model: one profile {out['one_thread']['single_ms']['sum']['median']:.1f} ms "
        f"(default, paired: {out['one_thread']['paired_default_single_ms']['sum']['median']:.1f} ms), "
        f"batch 64 {out['one_thread']['batch64_profiles_per_s']['sum']:.0f}/s "
        f"(default, paired: {out['one_thread']['paired_default_batch64_profiles_per_s']:.0f}/s); "
        "batch of 8 like profiles: "
        + ", ".join(
            f"{k} {v['median']:.1f} ms/profile (single, paired: {out['batch8_paired_single_ms'][k]['median']:.1f} ms)"
            for k, v in out["batch8_same_length_ms_per_profile"].items()
        )
    )
    return out
