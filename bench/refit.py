"""Refits in the background: a decision's acknowledgement next to a match, and a refit as feedback grows.

.venv/bin/python -m bench.refit                        # the real models (about 15 minutes on 2 cores)
.venv/bin/python -m bench.refit --encoders hashing     # the tests' hashing encoder (a few minutes)
.venv/bin/python -m bench.refit --no-growth --update   # run the service part again, keep the rest

Two parts, written to ``bench/results/refit.md`` (and ``.json``):

1. **The service** (``create_app`` under a live uvicorn in this process, a SQLite store in a temp
   dir; clients are httpx in threads): the median ``POST /v1/match`` on an idle service; one
   officer's decisions one at a time (the acknowledgement, then how long until ``/readyz`` shows
   the fitted state that learned it); eight officers deciding five inquiries each at once, with
   matches sent throughout; a catalogue edit (``PUT /v1/clusters/hvac``).
2. **A refit as the feedback grows**: a store with 0, 1,000, 5,000 and 10,000 feedback rows (the
   labelled train texts, each with one word dropped and a reference number appended, under the
   text's own labels), one process per size for its peak memory. What is timed is the refit the
   service runs after one more decision: ``build_matcher`` with the loaded models, after a first
   fit at that size (so, as in the service, only the new row is embedded). With ``MAX_FEEDBACK``
   (the default) and, for comparison, with no bound (``max_feedback=None``).

With the real models, embedding 10,000 synthetic texts with multilingual-e5-small alone would take
some 20 minutes here, so each synthetic row's embedding is its source text's real embedding plus
small Gaussian noise (sigma 0.01 per dimension, renormalised), handed to the matcher by a wrapper
with the model's own name; every other step (the models for the new row, n-grams, languages,
heads, calibration, the on-disk caches) is the real path. The embedding files of ``var/cache``
are linked into the temp cache so the labelled profiles are not embedded again; its fitted
matchers are not (every fit here is a real one).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.common import RESULTS, ROOT, free_port, loadavg, reference_text, summary, wait_for_quiet
from matcher.cache import EmbeddingCache
from matcher.config import CACHE_DIR, DEFAULT_ENCODERS
from matcher.encoders import Encoder
from matcher.loading import MAX_FEEDBACK, build_matcher, load_encoders
from matcher.profiles import by_split, load_profiles
from matcher.store import Store
from matcher.types import LabelledProfile

SIZES = (0, 1_000, 5_000, 10_000)
NOISE = 0.01
ADMIN_KEY = "bench-admin-key"
ADMIN = {"X-API-Key": ADMIN_KEY}


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# -- shared set-up --------------------------------------------------------------------------------


def linked_cache(tmp: Path) -> Path:
    """A cache folder whose embedding files (and ONNX exports) are links into ``var/cache``; no fitted matchers."""
    cache = tmp / "cache"
    cache.mkdir()
    if CACHE_DIR.exists():
        for entry in CACHE_DIR.iterdir():
            if entry.name != "fitted":
                (cache / entry.name).symlink_to(entry.resolve())
    return cache


def hashing_encoder() -> Encoder:
    """The tests' fast deterministic encoder (tests/conftest.py)."""
    sys.path.insert(0, str(ROOT))
    encoder: Encoder = importlib.import_module("tests.conftest").HashingEncoder()
    return encoder


def train_profiles() -> list[LabelledProfile]:
    return by_split(load_profiles(), "train")


def synthetic_feedback(n: int, *, start: int = 0, seed: int = 0) -> list[tuple[LabelledProfile, str]]:
    """``n`` feedback rows made from the train texts: one word dropped, a reference number appended.

    Returns each row with the text it was made from."""
    base = train_profiles()
    rng = random.Random(seed + start)
    out = []
    for i in range(start, start + n):
        p = base[i % len(base)]
        words = p.text.split()
        if len(words) > 3:
            del words[rng.randrange(len(words))]
        text = " ".join(words) + f" (ref. {i})"
        out.append((LabelledProfile(id=f"bench:{i}", text=text, labels=p.labels, lang=p.lang), p.text))
    return out


class Seeded:
    """An encoder under its model's name that answers the texts it was seeded with from a table and
    passes every other text to the model."""

    def __init__(self, model: Encoder, table: dict[str, np.ndarray]) -> None:
        self.model = model
        self.name = model.name
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        rest = [t for t in texts if t not in self.table]
        done = dict(zip(rest, self.model.encode(rest), strict=True)) if rest else {}
        return np.stack([self.table[t] if t in self.table else done[t] for t in texts]).astype(np.float32)


# -- part 2: a refit as the feedback grows (one process per size) ---------------------------------


def refit_at(n: int, *, encoders: str, cap: int | None, repeats: int) -> dict[str, Any]:
    """In this process: a store with ``n`` feedback rows, a first fit, then ``repeats`` timed refits
    each after one more decision-like row. Returns the timings and the peak RSS."""
    from matcher.threads import single_blas_thread

    single_blas_thread()  # as the service runs
    with tempfile.TemporaryDirectory(prefix="bench-refit-") as tmp_name:
        tmp = Path(tmp_name)
        cache = linked_cache(tmp)
        store = Store(f"sqlite:///{tmp / 'bench.db'}")
        models: list[Encoder] = load_encoders(DEFAULT_ENCODERS, cache_dir=cache) if encoders == "real" else []
        if encoders == "hashing":
            models = [hashing_encoder()]
        t0 = time.perf_counter()
        build_matcher(store, encoders=models, cache_dir=cache, max_feedback=cap)  # loads the models too
        baseline = time.perf_counter() - t0
        rows = synthetic_feedback(n)
        if encoders == "real" and rows:
            models = _seed(models, rows, cache)
        store.add_feedback([p for p, _ in rows], source="import")
        t0 = time.perf_counter()
        first = build_matcher(store, encoders=models, cache_dir=cache, max_feedback=cap)
        first_s = time.perf_counter() - t0
        times = []
        for k in range(repeats):
            (extra, _), *_ = synthetic_feedback(1, start=10**6 + k, seed=1)  # a new text: embedded for real
            store.add_feedback([extra], source="officer")
            t0 = time.perf_counter()
            m = build_matcher(store, encoders=models, cache_dir=cache, max_feedback=cap)
            times.append(time.perf_counter() - t0)
        store.close()
    return {
        "n": n,
        "cap": cap,
        "encoders": encoders,
        "learned_from": m.provenance_["n_feedback"],
        "fit_without_feedback_s": baseline,
        "first_fit_s": first_s,
        "first_learned_from": first.provenance_["n_feedback"],
        "refit_s": times,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _seed(models: list[Encoder], rows: list[tuple[LabelledProfile, str]], cache: Path) -> list[Encoder]:
    """Wrap each model so the synthetic rows get their source text's embedding plus noise."""
    sources = list(dict.fromkeys(src for _, src in rows))
    rng = np.random.default_rng(0)
    seeded: list[Encoder] = []
    for model in models:
        # The fit without feedback read the train pool from the cache: no text is embedded here.
        base = dict(zip(sources, EmbeddingCache.shared(cache).encode(model, sources), strict=True))
        table = {}
        for p, src in rows:
            v = base[src] + rng.normal(0.0, NOISE, base[src].shape)
            table[p.text] = (v / np.linalg.norm(v)).astype(np.float32)
        seeded.append(Seeded(model, table))
    return seeded


def refit_growth(
    sizes: Sequence[int], *, encoders: str, uncapped: bool, repeats: int, max_load: float
) -> list[dict[str, Any]]:
    """Each size (and bound) in a process of its own."""
    runs: list[tuple[int, int | None]] = [(n, MAX_FEEDBACK) for n in sizes]
    if uncapped:
        runs += [(n, None) for n in sizes if n > MAX_FEEDBACK]
    out = []
    for n, cap in runs:
        wait_for_quiet(max_load, 30, log)
        la = loadavg()
        log(f"refit with {n} feedback rows, at most {cap} learned from ({encoders})...")
        args = ["--one", str(n), "--encoders", encoders, "--cap", str(cap), "--repeats", str(_repeats(n, repeats))]
        done = subprocess.run(
            [sys.executable, "-m", "bench.refit", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            log(done.stderr[-3000:])
            raise SystemExit(f"the refit run with {n} rows failed")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["load_before"], result["load_after"] = la, loadavg()
        log(f"  refit {statistics.median(result['refit_s']):.1f} s, peak {result['peak_rss_mib']:.0f} MiB")
        out.append(result)
    return out


def _repeats(n: int, repeats: int) -> int:
    return repeats if n <= 1_000 else max(1, repeats - 1) if n <= 5_000 else 1


# -- part 1: the service ---------------------------------------------------------------------------


@contextmanager
def live_service(tmp: Path, encoders: str) -> Iterator[tuple[str, list[float]]]:
    """``create_app`` under uvicorn on a free port; yields its URL and the durations of its refits."""
    import uvicorn

    from service.main import create_app
    from service.settings import ServiceSettings
    from service.state import fit_matcher

    cache = linked_cache(tmp)
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp / 'service.db'}",
        "cache_dir": cache,
        "api_key": ADMIN_KEY,
        "log_level": "WARNING",  # no access log: the clients time every request themselves
        **dict.fromkeys(
            ("rate_limit_match", "rate_limit_inquiries", "rate_limit_triage", "rate_limit_wrong_key"), "1000000/minute"
        ),
    }
    settings = ServiceSettings(_env_file=None, **values)  # type: ignore[call-arg]
    refits: list[float] = []
    fixed = [hashing_encoder()] if encoders == "hashing" else None

    def factory(s: ServiceSettings, store: Store, loaded: Sequence[Encoder] | None) -> Any:
        t0 = time.perf_counter()
        matcher = fit_matcher(s, store, loaded if loaded is not None or fixed is None else fixed)
        if loaded is not None:
            refits.append(time.perf_counter() - t0)
        return matcher

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, matcher_factory=factory), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not get ready in 10 minutes")
                time.sleep(0.1)
        yield url, refits
    finally:
        server.should_exit = True
        thread.join(120)


def _timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    response = call()
    return time.perf_counter() - t0, response


def _decide(http: httpx.Client, inquiry: int, cluster: str) -> httpx.Response:
    return http.post(f"/v1/inquiries/{inquiry}/decision", json={"clusters": [cluster]}, headers=ADMIN)


def _wait_learned(http: httpx.Client, key: str, before: Any, timeout: float = 600) -> float:
    """Seconds until ``/readyz``'s provenance[key] differs from ``before`` (polled every 20 ms)."""
    t0 = time.perf_counter()
    while http.get("/readyz").json()["provenance"][key] == before:
        if time.perf_counter() - t0 > timeout:
            raise SystemExit(f"{key} did not change within {timeout} s")
        time.sleep(0.02)
    return time.perf_counter() - t0


def service_part(encoders: str, *, matches: int, decisions: int, officers: int, each: int) -> dict[str, Any]:
    text = reference_text()
    texts = [p.text for p in train_profiles()]
    res: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "load_before": loadavg()}
    with tempfile.TemporaryDirectory(prefix="bench-refit-service-") as tmp_name:
        t0 = time.perf_counter()
        with live_service(Path(tmp_name), encoders) as (url, refits), httpx.Client(base_url=url, timeout=600) as http:
            res["ready_s"] = time.perf_counter() - t0
            match = partial(http.post, "/v1/match", json={"text": text, "top_k": 3})
            for _ in range(3):
                match()  # warm
            res["match_idle_s"] = [_timed(match)[0] for _ in range(matches)]

            inquiries = [
                http.post("/v1/inquiries", json={"text": t}, headers=ADMIN).json()["id"]
                for t in texts[: decisions + officers * each]
            ]
            # One officer, one decision at a time: the acknowledgement, then until it is learned.
            acks, learned = [], []
            for inquiry in inquiries[:decisions]:
                before = http.get("/readyz").json()["provenance"]["fitted_state"]
                seconds, r = _timed(partial(_decide, http, inquiry, "ict"))
                assert r.status_code == 200, r.text
                acks.append(seconds)
                learned.append(_wait_learned(http, "fitted_state", before))
            res["decision_idle_ack_s"], res["decision_idle_learned_s"] = acks, learned
            res["refit_idle_s"] = list(refits)

            # Eight officers at once, each deciding `each` inquiries; matches sent all the while.
            n_before = http.get("/readyz").json()["provenance"]["n_feedback"]
            refits_before = len(refits)
            burst = inquiries[decisions:]
            stop = threading.Event()
            during: list[float] = []

            def keep_matching() -> None:
                with httpx.Client(base_url=url, timeout=600) as own:
                    while not stop.is_set():
                        during.append(_timed(partial(own.post, "/v1/match", json={"text": text, "top_k": 3}))[0])

            def officer(k: int) -> list[float]:
                with httpx.Client(base_url=url, timeout=600) as own:
                    out = []
                    for i in burst[k * each : (k + 1) * each]:
                        seconds, r = _timed(partial(_decide, own, i, "energy"))
                        assert r.status_code == 200, r.text
                        out.append(seconds)
                    return out

            matcher_thread = threading.Thread(target=keep_matching)
            matcher_thread.start()
            t0 = time.perf_counter()
            with ThreadPoolExecutor(officers) as pool:
                per_officer = list(pool.map(officer, range(officers)))
            res["burst_all_acked_s"] = time.perf_counter() - t0
            while http.get("/readyz").json()["provenance"]["n_feedback"] < n_before + len(burst):
                time.sleep(0.02)
            res["burst_all_learned_s"] = time.perf_counter() - t0
            stop.set()
            matcher_thread.join()
            res["burst_ack_s"] = [s for o in per_officer for s in o]
            res["burst_decisions"] = len(burst)
            res["burst_refits"] = len(refits) - refits_before
            res["match_during_burst_s"] = during

            # A catalogue edit.
            hvac = {k: v for k, v in http.get("/v1/clusters/hvac").json().items() if k != "id"}
            renamed = {**hvac, "name": {"en": "KlimaPomerania Cluster", "pl": "Klaster KlimaPomerania"}}
            before = http.get("/readyz").json()["provenance"]["catalogue_sha256"]
            seconds, r = _timed(partial(http.put, "/v1/clusters/hvac", json=renamed, headers=ADMIN))
            assert r.status_code == 200, r.text
            res["edit_ack_s"] = seconds
            res["edit_learned_s"] = _wait_learned(http, "catalogue_sha256", before)
            res["refits_all_s"] = list(refits)
    res["load_after"] = loadavg()
    return res


# -- the report -----------------------------------------------------------------------------------


def _ms(values: Sequence[float]) -> str:
    s = summary(list(values), 1000)
    return f"{s['median']:.0f} ms (p90 {s['p90']:.0f}, max {max(values) * 1000:.0f}; n={s['n']})"


def _s(values: Sequence[float]) -> str:
    s = summary(list(values))
    return f"{s['median']:.2f} s (p90 {s['p90']:.2f}, max {max(values):.2f}; n={s['n']})"


def report(res: dict[str, Any]) -> str:
    enc = res["encoders"]
    what = (
        "the real models (use-multilingual-v3 + multilingual-e5-small + character n-grams)"
        if enc == "real"
        else "the tests' hashing encoder (tests/conftest.py) + character n-grams"
    )
    lines = [
        "# Refits in the background",
        "",
        f"`.venv/bin/python -m bench.refit{'' if enc == 'real' else ' --encoders hashing'}` on {res['cores']} cores,"
        f" shared with other work (the 1-minute load average is given for each part). Encoders: {what}."
        " SQLite store in a temp dir.",
        "",
    ]
    svc = res.get("service")
    if svc:
        lines += [
            "## A decision's acknowledgement next to a match (one running service)",
            "",
            "`create_app` under uvicorn in this process, httpx clients in threads. Acknowledged = the HTTP answer;",
            "learned = until `/readyz` shows the fitted state that includes it (polled every 20 ms).",
            f"Run {svc['started_at']}, load average {svc['load_before']:.2f} before, {svc['load_after']:.2f} after.",
            "",
            "| what | time |",
            "|---|---|",
            f"| service ready (first load and fit) | {svc['ready_s']:.1f} s |",
            f"| `POST /v1/match`, idle | {_ms(svc['match_idle_s'])} |",
            f"| a decision acknowledged, one officer, service idle | {_ms(svc['decision_idle_ack_s'])} |",
            f"| ... learned (`/readyz` shows the new fitted state) | {_s(svc['decision_idle_learned_s'])} |",
            f"| a refit (in the service, one decision more) | {_s(svc['refit_idle_s'])} |",
            f"| {res['officers']} officers x {res['each']} decisions at once: all {svc['burst_decisions']} "
            f"acknowledged | {svc['burst_all_acked_s']:.2f} s |",
            f"| ... each decision acknowledged | {_ms(svc['burst_ack_s'])} |",
            f"| ... all {svc['burst_decisions']} learned | {svc['burst_all_learned_s']:.1f} s, "
            f"in {svc['burst_refits']} refits |",
            f"| `POST /v1/match` during that burst and its refits | {_ms(svc['match_during_burst_s'])} |",
            f"| a catalogue edit (`PUT /v1/clusters/hvac`) acknowledged | {svc['edit_ack_s'] * 1000:.0f} ms |",
            f"| ... learned | {svc['edit_learned_s']:.1f} s |",
            "",
        ]
    growth = res.get("growth")
    if growth:
        lines += [
            "## A refit as the feedback grows",
            "",
            "The refit after one more decision (`build_matcher` with the loaded models; a fit at that size ran",
            "first, so only the new row is embedded), one process per row, peak RSS of that process (models included).",
            "The feedback rows are the train texts, each with one word dropped and a reference number appended."
            + (
                " With the real models each one's embedding is its source text's real embedding plus Gaussian"
                f" noise (sigma {NOISE}, renormalised): at e5-small's ~8 profiles/s,"
                " 10,000 texts would take 20 minutes."
                " The new row of each timed refit is embedded by the models."
                if enc == "real"
                else ""
            ),
            "",
            f"Run {res['growth_started_at']}.",
            "",
            "| feedback rows stored | learned from (timed refit) | refit | first fit at that size | peak RSS | load |",
            "|---|---|---|---|---|---|",
        ]
        for g in growth:
            cap = "all" if g["cap"] is None else f"at most {g['cap']:,}"
            refit = statistics.median(g["refit_s"])
            runs = f" (median of {len(g['refit_s'])})" if len(g["refit_s"]) > 1 else ""
            first = f"{g['first_fit_s']:.1f} s" if g["n"] else "-"
            lines.append(
                f"| {g['n']:,} | {g['learned_from']:,} ({cap}) | {refit:.1f} s{runs} | {first} | "
                f"{g['peak_rss_mib']:,.0f} MiB | {g['load_before']:.1f} -> {g['load_after']:.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.refit", description=__doc__.splitlines()[0])
    ap.add_argument("--encoders", choices=("real", "hashing"), default="real")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="feedback rows per refit run")
    ap.add_argument("--repeats", type=int, default=3, help="timed refits per size (fewer for 5,000 and up)")
    ap.add_argument("--no-uncapped", dest="uncapped", action="store_false", help="skip the runs with no bound")
    ap.add_argument("--no-service", dest="service", action="store_false", help="skip the service part")
    ap.add_argument("--no-growth", dest="growth", action="store_false", help="skip the refit-growth part")
    ap.add_argument("--matches", type=int, default=30)
    ap.add_argument("--decisions", type=int, default=10, help="one officer's decisions, one at a time")
    ap.add_argument("--officers", type=int, default=8)
    ap.add_argument("--each", type=int, default=5, help="decisions per officer in the burst")
    ap.add_argument(
        "--max-load", type=float, default=1.5, help="wait (up to 30 s) for the load average to drop under this"
    )
    ap.add_argument("--update", action="store_true", help="keep the parts not run now from the existing results")
    ap.add_argument("--out", type=Path, default=RESULTS / "refit")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--cap", default=str(MAX_FEEDBACK), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.one is not None:  # a child process of refit_growth
        cap = None if args.cap == "None" else int(args.cap)
        print(json.dumps(refit_at(args.one, encoders=args.encoders, cap=cap, repeats=args.repeats)))  # noqa: T201
        return 0

    res: dict[str, Any] = {}
    json_out = args.out.with_suffix(".json")
    if args.update and json_out.exists():  # keep the parts not run now
        res = json.loads(json_out.read_text("utf-8"))
        if res.get("encoders") != args.encoders:
            ap.error(f"--update: {json_out} was written with --encoders {res.get('encoders')}")
    res |= {"encoders": args.encoders, "cores": len(os.sched_getaffinity(0))}
    if args.service:
        wait_for_quiet(args.max_load, 30, log)
        log("the service part...")
        res["officers"], res["each"] = args.officers, args.each
        res["service"] = service_part(
            args.encoders, matches=args.matches, decisions=args.decisions, officers=args.officers, each=args.each
        )
    if args.growth:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
        res["growth_started_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        res["growth"] = refit_growth(
            sizes, encoders=args.encoders, uncapped=args.uncapped, repeats=args.repeats, max_load=args.max_load
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(res, indent=2) + "\n", "utf-8")
    args.out.with_suffix(".md").write_text(report(res) + "\n", "utf-8")
    log(f"written: {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
