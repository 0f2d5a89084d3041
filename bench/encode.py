"""Part 1, the floor: the default models' own ``encode``, warm, for one profile and for batches."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from bench.common import distinct_texts, reference_text, summary


def load_default_encoders() -> tuple[list[Any], dict[str, float]]:
    """The encoders of the settings (``MATCHER_ENCODERS`` on ``MATCHER_BACKEND``), loaded; and the
    load time of each, in s."""
    from matcher.loading import load_encoders
    from matcher.settings import Settings

    encoders, load_s = [], {}
    settings = Settings()
    for enc in load_encoders(settings.encoders, backend=settings.backend, cache_dir=settings.cache_dir):
        t0 = time.perf_counter()
        enc.encode(["warm-up"])  # loads the model (import, weights, backend)
        load_s[enc.name] = time.perf_counter() - t0
        encoders.append(enc)
    return encoders, load_s


def one_round(encoders: list[Any], batch: list[str]) -> dict[str, float]:
    """Seconds each encoder takes for ``batch``, one after the other (as the matcher calls them)."""
    times = {}
    for enc in encoders:
        t0 = time.perf_counter()
        enc.encode(batch)
        times[enc.name] = time.perf_counter() - t0
    return times


def _rounds(encoders: list[Any], batches: Iterable[list[str]]) -> dict[str, list[float]]:
    """Per-encoder seconds for each batch, plus their sum ("sum"), one value per batch."""
    out: dict[str, list[float]] = {enc.name: [] for enc in encoders}
    out["sum"] = []
    for batch in batches:
        times = one_round(encoders, batch)
        for name, dt in times.items():
            out[name].append(dt)
        out["sum"].append(sum(times.values()))
    return out


def single_rounds(encoders: list[Any], text: str, rounds: int, warm: int = 5) -> dict[str, list[float]]:
    """Per-encoder seconds for ``[text]``, measured in alternating rounds (so load drift hits all alike)."""
    for _ in range(warm):
        one_round(encoders, [text])
    return _rounds(encoders, ([text] for _ in range(rounds)))


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


def batch_rounds(
    encoders: list[Any], texts: list[str], batch: int, rounds: int, *, first: int = 0, warm: bool = True
) -> dict[str, list[float]]:
    """Per-encoder seconds per batch of ``batch`` texts, each round a different slice of ``texts``.

    Round ``r`` takes the ``first + r``-th slice, so repeated calls can move on through ``texts``.
    """
    if warm:  # this batch shape
        one_round(encoders, texts[:batch])
    starts = (((first + r) * batch) % max(1, len(texts) - batch) for r in range(rounds))
    return _rounds(encoders, (texts[start : start + batch] for start in starts))


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
        res["backends"] = backends_compared(text, texts, log)
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


def backends_compared(text: str, texts: list[str], log: Any = print) -> dict[str, Any]:
    """For information, not the floor: all-MiniLM-L6-v2 on each backend the setting offers.

    Each backend gets a fresh encoder: load (import + weights + first encode; for ONNX the export
    is cached in var/cache), then single-profile encodes and batches of 64 interleaved round by
    round across backends. torch is measured last of the loads: importing it is its cost.
    """
    from matcher.config import MINILM_MODEL
    from matcher.encoders import BACKENDS, load_encoder

    encoders: dict[str, Any] = {}
    load_s: dict[str, float] = {}
    for backend in BACKENDS:
        t0 = time.perf_counter()
        enc = load_encoder(MINILM_MODEL, backend=backend)
        enc.encode(["warm-up"])
        load_s[backend] = time.perf_counter() - t0
        encoders[backend] = enc
    single: dict[str, list[float]] = {b: [] for b in encoders}
    batch: dict[str, list[float]] = {b: [] for b in encoders}
    for r in range(20):
        for b, enc in encoders.items():
            t0 = time.perf_counter()
            enc.encode([text])
            single[b].append(time.perf_counter() - t0)
            if r < 3:
                t0 = time.perf_counter()
                enc.encode(texts[r * 64 : (r + 1) * 64])
                batch[b].append(time.perf_counter() - t0)
    out: dict[str, Any] = {
        "load_s": load_s,
        "single_ms": {b: summary(v, 1000) for b, v in single.items()},
        "batch64_profiles_per_s": {b: 64 / summary(v)["median"] for b, v in batch.items()},
    }
    log(
        "  backends of all-MiniLM-L6-v2: "
        + "; ".join(
            f"{b} load {load_s[b]:.1f} s, one profile {out['single_ms'][b]['median']:.1f} ms, "
            f"batch 64 {out['batch64_profiles_per_s'][b]:.0f}/s"
            for b in encoders
        )
    )
    return out
