"""Shared helpers: the reference profile, timing, statistics, load average, free ports, memory."""

from __future__ import annotations

import os
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from matcher.config import PROFILES_PATH, PROJ_ROOT
from matcher.profiles import load_profiles

ROOT = PROJ_ROOT
RESULTS = Path(__file__).resolve().parent / "results"
#: The CLI of the project's venv, run as a subprocess by the triage and service parts.
MATCHER = ROOT / ".venv" / "bin" / "matcher"

#: The ~80-word profile every single-profile figure uses (p0541 of the labelled profiles, 78 words, English).
REFERENCE_ID = "p0541"


def reference_text() -> str:
    for p in load_profiles(PROFILES_PATH):
        if p.id == REFERENCE_ID:
            return p.text
    raise LookupError(f"{REFERENCE_ID} is not in {PROFILES_PATH}")


def distinct_texts(n: int) -> list[str]:
    """``n`` distinct profile texts: the labelled texts cycled, each later round varied slightly."""
    base = [p.text for p in load_profiles(PROFILES_PATH)]
    suffixes = ["", " Thank you.", " Dziękujemy.", " Best regards.", " Pozdrawiamy serdecznie.", " Contact us."]
    out = []
    for i in range(n):
        text = base[i % len(base)]
        rnd = i // len(base)
        if rnd:
            text = text + suffixes[rnd % len(suffixes)] + (f" (ref. {rnd})" if rnd >= len(suffixes) else "")
        out.append(text)
    assert len(set(out)) == n, "texts must be distinct"
    return out


def env_for_child(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.update(extra)
    return env


def loadavg() -> float:
    return os.getloadavg()[0]


def wait_for_quiet(max_load: float = 1.5, timeout: float = 60.0, log: Callable[[str], None] = print) -> float:
    """Wait (up to ``timeout`` s) until the 1-minute load average drops under ``max_load``; return it."""
    start = time.monotonic()
    la = loadavg()
    if la > max_load:
        log(f"  load average {la:.2f} > {max_load}; waiting up to {timeout:.0f} s for a quieter moment")
    while la > max_load and time.monotonic() - start < timeout:
        time.sleep(5)
        la = loadavg()
    return la


def summary(samples: list[float], scale: float = 1.0) -> dict[str, float]:
    """Median, p10, p90, min of ``samples`` times ``scale``."""
    s = sorted(x * scale for x in samples)
    return {
        "median": statistics.median(s),
        "p10": percentile(s, 10),
        "p90": percentile(s, 90),
        "min": s[0],
        "n": len(s),
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation percentile of already sorted values (``q`` in 0..100)."""
    if not sorted_values:
        return float("nan")
    if len(sorted_values) == 1:
        return sorted_values[0]
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc)."""
    by_parent: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        by_parent.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in by_parent.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def proc_status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
