"""``python -m bench``: every part in one run, side by side, written to bench/results/latest.{md,json}.

python -m bench                       # everything (about 10 minutes on 2 cores)
python -m bench --quick               # a smoke run: shorter everything
python -m bench --only encode,library # some parts
python -m bench --service-seconds 20  # longer load levels
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PARTS = ("encode", "library", "triage", "service")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run: fewer repeats, 200 triage profiles, 3 s loads")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    ap.add_argument("--service-seconds", type=float, default=None, help="seconds per load level (default 10, quick 3)")
    ap.add_argument("--triage-n", type=int, default=None, help="profiles for triage (default 1000, quick 200)")
    ap.add_argument("--workers", type=int, default=1, help="service workers")
    ap.add_argument("--max-load", type=float, default=1.5, help="wait for the 1-min load average to drop under this")
    ap.add_argument("--max-wait", type=float, default=60.0, help="...but wait at most this many s before each part")
    ap.add_argument("--out", type=Path, default=None, help="results folder (default bench/results)")
    args = ap.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        ap.error(f"unknown part(s) {unknown}; choose from {', '.join(PARTS)}")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench import encode, library, report, service, triage
    from bench.common import RESULTS, loadavg, wait_for_quiet
    from bench.floor import Floor
    from bench.machine import describe

    def log(msg: str) -> None:
        sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    started = time.perf_counter()
    res: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "parts": parts,
        "machine": describe(),
        "loadavg": {},
    }
    floors: list[Floor] = []

    def floor() -> Floor:  # the default models, loaded once in this process, for bracketed floors
        if not floors:
            floors.append(Floor())
        return floors[0]

    runners = {
        "encode": lambda: encode.run(args.quick, log, floor=floor()),
        "library": lambda: library.run(args.quick, log, floor=floor()),
        "triage": lambda: triage.run(args.quick, log, n=args.triage_n, floor=floor()),
        "service": lambda: service.run(
            args.quick, log, seconds=args.service_seconds, workers=args.workers, floor=floor()
        ),
    }
    for part in PARTS:
        if part not in parts:
            continue
        la = wait_for_quiet(args.max_load, 0 if args.quick else args.max_wait, log)
        log(f"[{part}] (load average {la:.2f})")
        t0 = time.perf_counter()
        res[part] = runners[part]()
        res["loadavg"][part] = {
            "before": round(la, 2),
            "after": round(loadavg(), 2),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    res["duration_s"] = time.perf_counter() - started
    res["ratios"] = report.compute_ratios(res)
    md, js = report.write(res, args.out or RESULTS)
    sys.stdout.write(md.read_text(encoding="utf-8"))
    log(f"written: {md} and {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
