"""Turning the parts' results into ratios against the speed and memory targets, Markdown and JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bench.machine import one_line
from matcher.config import PROFILES_PATH, PROJ_ROOT

#: 1.5 GB (decimal) in MiB: the strictest reading of the memory target.
MEMORY_TARGET_MIB = 1.5e9 / 2**20


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _verdict(value: float | None, op: str, bound: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    ok = value <= bound if op == "<=" else value >= bound
    return "**met**" if ok else "**not met**"


def compute_ratios(res: dict[str, Any]) -> dict[str, Any]:
    enc, lib, tri, svc = (res.get(k) for k in ("encode", "library", "triage", "service"))
    out: dict[str, Any] = {}
    raw1 = enc["single_ms"]["sum"]["median"] if enc else None
    iso1 = enc["isolated_single_ms"]["sum"]["median"] if enc and "isolated_single_ms" in enc else None
    raw64 = enc["batch"]["64"]["sum"]["profiles_per_s"] if enc else None
    if lib:
        out["match"] = {
            "value": lib["paired_ratio"]["match"]["median"],
            "op": "<=",
            "target": 1.5,
            "how": "match(text) / raw encode of the same text by the matcher's own encoders, paired round by "
            "round in one process (median of the per-round ratios)",
            "vs_part1_floor": lib["ms"]["match"]["median"] / raw1 if raw1 else None,
            "vs_isolated_floor": lib["ms"]["match"]["median"] / iso1 if iso1 else None,
        }
        out["match_no_explain"] = {
            "value": lib["paired_ratio"]["match_no_explain"]["median"],
            "op": "<=",
            "target": 1.5,
            "how": "as above, explain=False",
            "vs_part1_floor": lib["ms"]["match_no_explain"]["median"] / raw1 if raw1 else None,
            "vs_isolated_floor": lib["ms"]["match_no_explain"]["median"] / iso1 if iso1 else None,
        }
    if tri and (tri.get("bracketed_floor_profiles_per_s") or raw64):
        fl = tri.get("bracketed_floor_profiles_per_s")
        out["triage"] = {
            "value": tri["profiles_per_s"] / (fl or raw64),
            "op": ">=",
            "target": 0.8,
            "how": "matcher triage profiles/s / raw encode profiles/s at batch 64 (sum over models)"
            + (", floor re-measured right before and after each triage round" if fl else ", part-1 floor"),
            "vs_part1_floor": tri["profiles_per_s"] / raw64 if (fl and raw64) else None,
        }
    if svc:
        one = svc["load"].get("1")
        fl1 = one["bracketed_floor_single_ms"]["median"] if one and "bracketed_floor_single_ms" in one else None
        if one and (fl1 or raw1):
            out["service_p50"] = {
                "value": one["latency_ms"]["p50"] / (fl1 or raw1),
                "op": "<=",
                "target": 1.7,
                "how": "POST /v1/match p50 with one client / raw single encode"
                + (" re-measured right before and after the 1-client load" if fl1 else " (part 1)"),
                "vs_part1_floor": one["latency_ms"]["p50"] / raw1 if (fl1 and raw1) else None,
                "vs_isolated_floor": one["latency_ms"]["p50"] / iso1 if iso1 else None,
            }
        if "start_to_first_match_s" in svc:
            out["cold_start_first_match"] = {
                "value": svc["start_to_first_match_s"],
                "op": "<=",
                "target": 8.0,
                "unit": "s",
                "how": "process start to the first answered POST /v1/match (start 2)",
            }
        out["cold_start"] = {
            "value": max(c["readyz_s"] for c in svc["cold_start"]),
            "op": "<=",
            "target": 8.0,
            "unit": "s",
            "how": "process start to /readyz 200, warm var/cache, worst of the starts",
        }
        if "memory" in svc:
            out["peak_memory"] = {
                "value": svc["memory"]["hwm_mib"],
                "op": "<=",
                "target": MEMORY_TARGET_MIB,
                "unit": "MiB",
                "how": "VmHWM of the service process and its children after the load (1.5 GB = 1430 MiB)",
            }
        fifty = svc["load"].get("50")
        if fifty:
            out["errors_50_clients"] = {
                "value": float(fifty["errors"]),
                "op": "<=",
                "target": 0.0,
                "unit": "errors",
                "how": "errors with 50 concurrent clients",
            }
    for r in out.values():
        r["met"] = _verdict(r["value"], r["op"], r["target"]) == "**met**"
    return out


def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    enc, lib, tri, svc = (res.get(k) for k in ("encode", "library", "triage", "service"))
    ratios = res["ratios"]
    L: list[str] = []
    L.append("# Cluster Matcher benchmark")
    L.append("")
    L.append(
        f"Run {res['started_at']} ({res['duration_s']:.0f} s){' — QUICK smoke run' if res['quick'] else ''}; "
        f"parts: {', '.join(res['parts'])}; git {m['git']}."
    )
    L.append("")
    L.append(
        f"Machine: {one_line(m)}. Load average at start {m['loadavg_at_start']} "
        "(the 2 cores are shared with other test runs: compare ratios, not absolute figures, across runs)."
    )
    L.append(f"Thread variables: {', '.join(f'{k}={v}' for k, v in m['env'].items())}.")
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| ratio | value | target | verdict | how |")
    L.append("|---|---:|---|---|---|")
    names = {
        "match": "Matcher.match / raw single encode",
        "match_no_explain": "Matcher.match(explain=False) / raw single encode",
        "triage": "matcher triage / raw batched encode",
        "service_p50": "service p50, 1 client / raw single encode",
        "cold_start": "cold start to /readyz",
        "cold_start_first_match": "cold start to the first answered match",
        "peak_memory": "service peak memory",
        "errors_50_clients": "errors with 50 clients",
    }
    for k, r in ratios.items():
        unit = r.get("unit", "x")
        val = f"{r['value']:.0f} {unit}" if unit == "MiB" else f"{r['value']:.2f} {unit}".replace(" x", "x")
        if unit == "MiB":
            tgt = f"{r['op']} {r['target']:.0f} {unit}"
        else:
            tgt = f"{r['op']} {r['target']:g}" + (unit if unit == "x" else f" {unit}")
        extra = f" (vs part-1 floor: {r['vs_part1_floor']:.2f}x)" if r.get("vs_part1_floor") else ""
        if r.get("vs_isolated_floor"):
            extra += f"; vs isolated floor: {r['vs_isolated_floor']:.2f}x"
        verdict = _verdict(r["value"], r["op"], r["target"])
        L.append(f"| {names.get(k, k)} | {val}{extra} | {tgt} | {verdict} | {r['how']} |")
    L.append("")
    L.append("## Figures")
    L.append("")
    L.append("| # | figure | median | unit | spread (p10–p90) | n |")
    L.append("|---|---|---:|---|---|---:|")

    def row(num: str, name: str, s: dict[str, float] | float, unit: str, digits: int = 1) -> None:
        if isinstance(s, dict):
            L.append(
                f"| {num} | {name} | {_fmt(s['median'], digits)} | {unit} | "
                f"{_fmt(s['p10'], digits)}–{_fmt(s['p90'], digits)} | {s['n']} |"
            )
        else:
            L.append(f"| {num} | {name} | {_fmt(s, digits)} | {unit} | | |")

    if enc:
        for name in [*enc["encoders"], "sum"]:
            label = "raw encode, sum of the default models" if name == "sum" else f"raw encode, {name}"
            row("1", f"{label}: one {enc['reference_words']}-word profile", enc["single_ms"][name], "ms")
        if "isolated_single_ms" in enc:
            for name, smp in enc["isolated_single_ms"].items():
                label = "sum of the medians" if name == "sum" else name
                row("1", f"raw encode, each model alone back to back (isolated), {label}", smp, "ms")
        for b in ("32", "64"):
            for name in [*enc["encoders"], "sum"]:
                label = "sum of the default models" if name == "sum" else name
                row("1", f"raw encode, {label}: batch of {b}", enc["batch"][b][name]["profiles_per_s"], "profiles/s")
        for name, s in enc["load_s"].items():
            row("1", f"model load (import + weights + first encode), {name}", s, "s", 2)
        bk = enc.get("backends")
        if bk:
            for backend, smp in bk["single_ms"].items():
                label = f"all-MiniLM-L6-v2 on backend {backend}"
                row("1*", f"{label}: load (import + weights + first encode)", bk["load_s"][backend], "s", 2)
                row("1*", f"{label}: one profile", smp, "ms")
                row("1*", f"{label}: batch of 64", bk["batch64_profiles_per_s"][backend], "profiles/s")
    if lib:
        row("2", "Matcher.from_defaults() (fit from the warm embedding cache)", lib["fit_s"], "s", 2)
        for k, s in lib["ms"].items():
            labels = {
                "match": "Matcher.match(text) (explain=True)",
                "match_no_explain": "Matcher.match(text, explain=False)",
                "raw_sum": "paired raw encode, sum of the matcher's encoders",
            }
            label = labels.get(k, k.replace("raw:", "paired raw encode, "))
            row("2", label, s, "ms")
        if "error" not in lib["stages_ms"]:
            for k, s in lib["stages_ms"].items():
                row("2", f"match stage: {k}", s, "ms")
        b64 = lib["batch64"]
        row("2", "raw encode, batch of 64 (same process, paired)", b64["raw_batch64"]["profiles_per_s"], "profiles/s")
        row("2", "Matcher.match_many, batch of 64 (explain=False)", b64["match_many64"]["profiles_per_s"], "profiles/s")
    if tri:
        row("3", f"matcher triage: {tri['n_profiles']} profiles, routing only", tri["profiles_per_s"], "profiles/s")
        row("3", f"matcher triage: routing time for {tri['n_profiles'] - 1} profiles", tri["routing_s"], "s")
        row("3", "matcher triage: 1-line run (start-up, imports, load, fit)", tri["startup_s"], "s")
        if tri.get("bracketed_floor_profiles_per_s"):
            row(
                "3",
                "raw encode, batch of 64, sum, re-measured beside triage",
                tri["bracketed_floor_profiles_per_s"],
                "profiles/s",
            )
    if svc:
        for i, c in enumerate(svc["cold_start"], 1):
            row("4", f"cold start {i} (warm var/cache): to /healthz 200", c["healthz_s"], "s", 2)
            row("4", f"cold start {i} (warm var/cache): to /readyz 200", c["readyz_s"], "s", 2)
        if "first_requests_s" in svc:
            row("4", "first POST /v1/match after /readyz (start 2)", svc["first_requests_s"][0], "s", 2)
            row("4", "start to first answered /v1/match (start 2)", svc["start_to_first_match_s"], "s", 2)
        if "cold_start_empty_cache" in svc:
            c = svc["cold_start_empty_cache"]
            row("4", "start with an empty cache dir: to /readyz 200 (information)", c["readyz_s"], "s", 2)
        for clients, r in svc["load"].items():
            lat = r["latency_ms"]
            if "bracketed_floor_single_ms" in r:
                row(
                    "4",
                    "raw encode, one profile, sum, re-measured beside the 1-client load",
                    r["bracketed_floor_single_ms"],
                    "ms",
                )
            row("4", f"POST /v1/match, {clients} client(s): p50", lat["p50"], "ms")
            row("4", f"POST /v1/match, {clients} client(s): p95", lat["p95"], "ms")
            row("4", f"POST /v1/match, {clients} client(s): p99", lat["p99"], "ms")
            row("4", f"POST /v1/match, {clients} client(s): throughput", r["throughput_rps"], "requests/s", 2)
            row(
                "4",
                f"POST /v1/match, {clients} client(s): requests / errors",
                float("nan") if r["count"] is None else r["count"],
                f"requests, {r['errors']} errors",
                0,
            )
            row(
                "4",
                f"POST /v1/match, {clients} client(s): server CPU per request",
                r["server_cpu_ms_per_request"],
                "CPU-ms",
            )
        if "healthz_ms" in svc:
            row("4", "GET /healthz, one client (the HTTP floor)", svc["healthz_ms"], "ms")
        if "memory" in svc:
            row("5", "service peak RSS (VmHWM, process + children) after the load", svc["memory"]["hwm_mib"], "MiB", 0)
            row("5", "service RSS right after /readyz", svc["memory_after_start_mib"]["rss_mib"], "MiB", 0)
    L.append("")
    L.append(
        "Rows marked 1* compare the backends of the MATCHER_BACKEND setting (not the floor). "
        "The part-1 floor calls the models alternately, as the matcher does (a model's idle threads can slow "
        "the next one down, so that sum may exceed the isolated floor: each model alone, back to back); "
        "ratios against both are shown. "
        f"Notes: every single-profile figure uses profile p0541 of {PROFILES_PATH.relative_to(PROJ_ROOT)} (78 words, "
        "English), warm. Batches and triage use the labelled texts cycled with small variations (distinct "
        "strings; median 30 words). Raw encode = each default encoder's own `.encode` as the matcher "
        "configures it (MATCHER_BACKEND default; USE on one thread for up to 8 texts, ONNX on every core "
        "when it is the only encode running). The service load sends the reference profile from "
        f"every client for {svc['seconds_per_level'] if svc else '?'} s per level (50 clients: at least 30 s); "
        "the load client runs on "
        "the same 2 cores as the server."
    )
    if tri:
        L.append(f"Triage method: {tri['method']}.")
    L.append("")
    return "\n".join(L)


def write(res: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md, js = directory / "latest.md", directory / "latest.json"
    md.write_text(markdown(res), encoding="utf-8")
    js.write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    return md, js
