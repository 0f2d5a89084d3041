"""Load script for ``POST /v1/match``: N concurrent clients for T seconds.

Each client is a closed loop (send, wait for the answer, send the next) over one shared
``httpx.AsyncClient`` with a connection per client. It reports how many requests completed,
the errors (any non-2xx answer or transport failure, by kind), throughput, and the latency
percentiles of the successful requests.

    python bench/load.py                          # 50 clients x 30 s against 127.0.0.1:8000
    python bench/load.py --clients 10 --seconds 10 --url http://127.0.0.1:8123
    python bench/load.py --text "Budujemy drogi i mosty"   # one text instead of the labelled ones

Only loopback addresses are accepted. It needs only the stdlib, httpx and ``matcher.config`` (the
path of the labelled profiles); ``bench.service`` imports :func:`run_load` from here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from matcher.config import PROFILES_PATH

RESULTS = Path(__file__).resolve().parent / "results"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def default_texts() -> list[str]:
    """The labelled profiles' texts (English and Polish, 5 to 120 words)."""
    with PROFILES_PATH.open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK:
        raise SystemExit(f"refusing {url!r}: the load script only targets 127.0.0.1")


async def run_load(
    url: str,
    *,
    clients: int = 50,
    seconds: float = 30.0,
    texts: list[str] | None = None,
    top_k: int = 3,
    timeout: float = 120.0,
    warmup: int = 2,
) -> dict[str, Any]:
    """Run the load and return the figures (latencies in ms, throughput in requests/s)."""
    check_loopback(url)
    texts = texts or default_texts()
    endpoint = url.rstrip("/") + "/v1/match"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        for i in range(warmup):  # not counted: first-request costs (connection, lazy paths)
            await client.post(endpoint, json={"text": texts[i % len(texts)], "top_k": top_k})

        start = time.perf_counter()
        deadline = start + seconds

        async def one_client(cid: int) -> None:
            n = cid
            while time.perf_counter() < deadline:
                body = {"text": texts[n % len(texts)], "top_k": top_k}
                n += clients
                t0 = time.perf_counter()
                try:
                    r = await client.post(endpoint, json=body)
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                dt = time.perf_counter() - t0
                statuses[r.status_code] += 1
                if 200 <= r.status_code < 300:
                    latencies.append(dt)
                else:
                    errors[f"HTTP {r.status_code}"] += 1

        await asyncio.gather(*(one_client(i) for i in range(clients)))
        elapsed = time.perf_counter() - start
    lat = sorted(x * 1000 for x in latencies)
    n_err = sum(errors.values())
    return {
        "url": endpoint,
        "clients": clients,
        "seconds": seconds,
        "elapsed_s": round(elapsed, 3),
        "distinct_texts": len(set(texts)),
        "count": len(lat) + n_err,
        "ok": len(lat),
        "errors": n_err,
        "errors_by_kind": dict(errors),
        "status_counts": {str(k): v for k, v in sorted(statuses.items())},
        "throughput_rps": round(len(lat) / elapsed, 3) if elapsed else 0.0,
        "latency_ms": {
            "p50": round(_percentile(lat, 50), 2),
            "p95": round(_percentile(lat, 95), 2),
            "p99": round(_percentile(lat, 99), 2),
            "mean": round(statistics.fmean(lat), 2) if lat else float("nan"),
            "min": round(lat[0], 2) if lat else float("nan"),
            "max": round(lat[-1], 2) if lat else float("nan"),
        },
    }


async def wait_ready(url: str, timeout: float = 120.0) -> float:
    """Poll ``/readyz`` until 200; return the seconds waited."""
    check_loopback(url)
    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=5.0) as client:
        while True:
            try:
                r = await client.get(url.rstrip("/") + "/readyz")
                if r.status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            if time.perf_counter() - start > timeout:
                raise TimeoutError(f"{url} not ready after {timeout:.0f} s")
            await asyncio.sleep(0.05)


def to_markdown(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    lines = [
        f"# Load: {r['clients']} clients x {r['seconds']:g} s against POST /v1/match",
        "",
        f"Run {r.get('started_at', '?')} against {r['url']}; load average before {r.get('loadavg_before', '?')}, "
        f"after {r.get('loadavg_after', '?')} (2 cores shared with other processes; the client runs on them too).",
        "",
        "| figure | value | unit |",
        "|---|---:|---|",
        f"| requests completed | {r['count']} | requests |",
        f"| successful | {r['ok']} | requests |",
        f"| errors | {r['errors']} | requests |",
        f"| throughput | {r['throughput_rps']:.2f} | requests/s |",
        f"| latency p50 | {lat['p50']:.1f} | ms |",
        f"| latency p95 | {lat['p95']:.1f} | ms |",
        f"| latency p99 | {lat['p99']:.1f} | ms |",
        f"| latency max | {lat['max']:.1f} | ms |",
        "",
        f"Texts: {r['distinct_texts']} distinct profiles, cycled. Status codes: {r['status_counts']}. "
        f"Errors by kind: {r['errors_by_kind'] or 'none'}. Elapsed {r['elapsed_s']} s (requests in flight at "
        "the deadline are awaited).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000", help="the service (loopback only)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--top-k", type=int, default=3)
    ap.add_argument("--text", help="send this one text instead of the labelled profiles")
    ap.add_argument("--wait-ready", type=float, default=0.0, help="first wait up to this many s for /readyz")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write JSON here and Markdown beside it (default bench/results/load-<clients>x<seconds>s.json)",
    )
    args = ap.parse_args(argv)
    check_loopback(args.url)
    if args.wait_ready:
        asyncio.run(wait_ready(args.url, args.wait_ready))
    texts = [args.text] if args.text else None
    started = datetime.now(UTC).isoformat(timespec="seconds")
    before = round(os.getloadavg()[0], 2)
    r = asyncio.run(run_load(args.url, clients=args.clients, seconds=args.seconds, texts=texts, top_k=args.top_k))
    r["started_at"], r["loadavg_before"] = started, before
    r["loadavg_after"] = round(os.getloadavg()[0], 2)
    out = args.out or RESULTS / f"load-{args.clients}x{args.seconds:g}s.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    md = to_markdown(r)
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    sys.stdout.write(md + "\n")
    sys.stderr.write(f"written: {out} and {out.with_suffix('.md')}\n")
    return 1 if r["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
