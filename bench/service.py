"""Parts 4 and 5: the service as a subprocess (``matcher serve``): cold start, load, peak memory.

Cold start is the time from ``Popen`` to the first ``/readyz`` 200 (polled every 50 ms), with the
time to the first ``/healthz`` 200 (process up, imports done, app built) beside it. It is measured
on two starts with the project's warm ``var/cache`` and, unless ``quick``, once more with an empty
cache folder (for information: every catalogue and example text is then embedded).

The second warm instance is loaded with 1, 10 and 50 concurrent clients (``bench.load``), all
sending the reference profile; then its peak RSS (``VmHWM`` of the process and its children) is
read. The server's CPU seconds per level are read from /proc too, so CPU per request shows.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import MATCHER, ROOT, children, env_for_child, free_port, proc_status_kib, reference_text, summary
from bench.load import run_load

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Service:
    """One ``matcher serve`` process with a private database."""

    def __init__(self, tmp: Path, *, workers: int = 1, cache_dir: Path | None = None, tag: str = "run") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra = {
            "MATCHER_DATABASE_URL": f"sqlite:///{tmp / f'bench-{tag}.db'}",
            # the load comes from one address: what is measured is the matcher, not the per-client limiter
            "MATCHER_RATE_LIMIT_MATCH": "1000000/second",
        }
        if cache_dir is not None:
            extra["MATCHER_CACHE_DIR"] = str(cache_dir)
        self.env = env_for_child(**extra)
        self.log_path = tmp / f"serve-{tag}.log"
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self.t_health: float | None = None
        self.t_ready: float | None = None

    def start(self, timeout: float = 180.0) -> None:
        self._log = log = self.log_path.open("wb")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(MATCHER), "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        with httpx.Client(timeout=5.0) as client:
            while self.t_ready is None:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"matcher serve exited ({self.proc.returncode}); see {self.log_path}:\n"
                        + self.log_path.read_text(errors="replace")[-2000:]
                    )
                if time.perf_counter() - t0 > timeout:
                    raise TimeoutError(f"not ready after {timeout:.0f} s; see {self.log_path}")
                try:
                    if self.t_health is None and client.get(self.url + "/healthz").status_code == 200:
                        self.t_health = time.perf_counter() - t0
                    if self.t_health is not None and client.get(self.url + "/readyz").status_code == 200:
                        self.t_ready = time.perf_counter() - t0
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)

    def pids(self) -> list[int]:
        assert self.proc is not None
        return [self.proc.pid, *children(self.proc.pid)]

    def cpu_s(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
            except OSError:
                continue
        return total / CLK_TCK

    def memory_mib(self) -> dict[str, Any]:
        per = {}
        for pid in self.pids():
            hwm, rss = proc_status_kib(pid, "VmHWM"), proc_status_kib(pid, "VmRSS")
            if hwm is not None:
                per[str(pid)] = {"hwm_mib": hwm / 1024, "rss_mib": (rss or 0) / 1024}
        return {
            "hwm_mib": sum(v["hwm_mib"] for v in per.values()),
            "rss_mib": sum(v["rss_mib"] for v in per.values()),
            "processes": per,
        }

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()


def run(
    quick: bool = False,
    log: Any = print,
    seconds: float | None = None,
    workers: int = 1,
    levels: tuple[int, ...] = (1, 10, 50),
    floor: Any = None,
) -> dict[str, Any]:
    seconds = seconds or (3.0 if quick else 10.0)
    text = reference_text()
    res: dict[str, Any] = {"workers": workers, "seconds_per_level": seconds, "cold_start": [], "load": {}}
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp_name:
        tmp = Path(tmp_name)
        # 1. first start (warm var/cache), then stop
        s1 = Service(tmp, workers=workers, tag="warm1")
        try:
            s1.start()
        finally:
            s1.stop()
        res["cold_start"].append({"cache": "warm", "healthz_s": s1.t_health, "readyz_s": s1.t_ready})
        log(f"  start 1 (warm cache): /healthz {s1.t_health:.2f} s, /readyz {s1.t_ready:.2f} s")
        # 2. second start, kept for the load and the memory figure
        s2 = Service(tmp, workers=workers, tag="warm2")
        try:
            s2.start()
            res["cold_start"].append({"cache": "warm", "healthz_s": s2.t_health, "readyz_s": s2.t_ready})
            log(f"  start 2 (warm cache): /healthz {s2.t_health:.2f} s, /readyz {s2.t_ready:.2f} s")
            res["memory_after_start_mib"] = s2.memory_mib()
            # /readyz does not promise the models are in memory (they load on first use): time the
            # first requests, and count "start to the first answered match" as the true cold start.
            first = []
            with httpx.Client(timeout=300.0) as client:
                for _ in range(3):
                    t0 = time.perf_counter()
                    r0 = client.post(s2.url + "/v1/match", json={"text": text, "top_k": 3})
                    first.append(time.perf_counter() - t0)
                    r0.raise_for_status()
            res["first_requests_s"] = first
            res["start_to_first_match_s"] = (s2.t_ready or 0.0) + first[0]
            res["memory_after_first_match_mib"] = s2.memory_mib()
            log(
                f"  first /v1/match after ready: {first[0]:.2f} s (then {first[1]:.2f}, {first[2]:.2f} s); "
                f"start to first answered match {res['start_to_first_match_s']:.2f} s"
            )
            for clients in levels:
                # 50 clients need longer than one round of requests to give percentiles any meaning
                secs = seconds if quick or clients < 50 else max(seconds, 30.0)
                bracket = floor is not None and clients == 1
                floor_s = floor.single(15) if bracket else []  # the raw floor, right before...
                cpu0 = s2.cpu_s()
                r = asyncio.run(run_load(s2.url, clients=clients, seconds=secs, texts=[text], warmup=0))
                r["server_cpu_s"] = s2.cpu_s() - cpu0
                r["server_cpu_ms_per_request"] = 1000 * r["server_cpu_s"] / max(1, r["count"])
                if bracket:
                    floor_s += floor.single(15)  # ...and right after (the server idle meanwhile)
                    r["bracketed_floor_single_ms"] = summary(floor_s, 1000)
                    log(f"  bracketed raw floor, one profile: {r['bracketed_floor_single_ms']['median']:.1f} ms")
                res["load"][str(clients)] = r
                lat = r["latency_ms"]
                log(
                    f"  {clients:>2} clients: {r['count']} requests, {r['errors']} errors, "
                    f"{r['throughput_rps']:.1f} req/s, p50 {lat['p50']:.0f} ms, p99 {lat['p99']:.0f} ms, "
                    f"server CPU {r['server_cpu_ms_per_request']:.0f} ms/request"
                )
            # the HTTP floor: the same client and server, an endpoint that does nothing
            hz = []
            with httpx.Client(timeout=30.0) as client:
                for _ in range(60):
                    t0 = time.perf_counter()
                    client.get(s2.url + "/healthz")
                    hz.append(time.perf_counter() - t0)
            res["healthz_ms"] = summary(hz[10:], 1000)
            log(f"  GET /healthz, one client: p50 {res['healthz_ms']['median']:.1f} ms (the HTTP floor)")
            res["memory"] = s2.memory_mib()
            log(f"  peak memory (VmHWM, process + children): {res['memory']['hwm_mib']:.0f} MiB")
        finally:
            s2.stop()
        # 3. for information: an empty embedding cache (every catalogue and example text embedded)
        if not quick:
            s3 = Service(tmp, workers=workers, cache_dir=tmp / "empty-cache", tag="cold")
            try:
                s3.start(timeout=600)
            finally:
                s3.stop()
            res["cold_start_empty_cache"] = {"cache": "empty", "healthz_s": s3.t_health, "readyz_s": s3.t_ready}
            log(f"  start with an empty cache: /healthz {s3.t_health:.2f} s, /readyz {s3.t_ready:.2f} s")
    return res
