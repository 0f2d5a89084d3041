"""Part 3: ``matcher triage`` on 1,000 profiles, the real CLI as a subprocess.

Method: the same command is run on a 1-line input and on the N-line input (alternating, each
``repeat`` times, after one untimed run that creates the private database). Both pay the same
process start, imports, model load and fit, so ``median(t_N) - median(t_1)`` is the time spent
routing N - 1 profiles; throughput = (N - 1) / that. The store is a private SQLite file in a
temporary folder (``MATCHER_DATABASE_URL``); embeddings use the project's default ``var/cache``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import MATCHER, ROOT, distinct_texts, env_for_child


def write_input(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i, text in enumerate(distinct_texts(n)):
            f.write(json.dumps({"id": f"b{i:05d}", "text": text}, ensure_ascii=False) + "\n")


def _run(input_path: Path, output: Path, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(MATCHER), "triage", str(input_path), "-o", str(output)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"matcher triage failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return dt


def run(
    quick: bool = False, log: Any = print, n: int | None = None, repeat: int | None = None, floor: Any = None
) -> dict[str, Any]:
    n = n or (200 if quick else 1000)
    repeat = repeat or (1 if quick else 2)
    with tempfile.TemporaryDirectory(prefix="bench-triage-") as tmp:
        d = Path(tmp)
        env = env_for_child(MATCHER_DATABASE_URL=f"sqlite:///{d / 'bench.db'}")
        one, many = d / "one.jsonl", d / f"n{n}.jsonl"
        write_input(one, 1)
        write_input(many, n)
        _run(one, d / "warm.jsonl", env)  # creates the database; warms the page cache
        t1, tn, floor_s = [], [], []
        for r in range(repeat):
            if floor is not None:  # the raw batched floor, right beside each round
                floor_s.extend(floor.batch(64, 3))
            t1.append(_run(one, d / "out1.jsonl", env))
            tn.append(_run(many, d / "outn.jsonl", env))
            log(f"  round {r + 1}: 1 profile {t1[-1]:.1f} s, {n} profiles {tn[-1]:.1f} s")
        if floor is not None:
            floor_s.extend(floor.batch(64, 3))
        with (d / "outn.jsonl").open(encoding="utf-8") as f:
            lines = sum(1 for _ in f)
    routing = statistics.median(tn) - statistics.median(t1)
    res = {
        "n_profiles": n,
        "output_lines": lines,
        "repeat": repeat,
        "t_one_s": t1,
        "t_n_s": tn,
        "startup_s": statistics.median(t1),
        "routing_s": routing,
        "profiles_per_s": (n - 1) / routing if routing > 0 else float("nan"),
        "bracketed_floor_batch64_s": floor_s,
        "bracketed_floor_profiles_per_s": 64 / statistics.median(floor_s) if floor_s else None,
        "method": "median wall time on N lines minus median on 1 line (same process start, imports, model "
        "load and fit); throughput = (N-1) / difference",
    }
    log(f"  start-up {res['startup_s']:.1f} s; routing {routing:.1f} s -> {res['profiles_per_s']:.1f} profiles/s")
    if floor_s:
        log(f"  bracketed raw floor, batch 64: {res['bracketed_floor_profiles_per_s']:.1f} profiles/s")
    return res
