"""Many clients at once against a real uvicorn server, while the matcher is refitted underneath."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from service.main import create_app

pytestmark = pytest.mark.both_databases  # each test on SQLite and on PostgreSQL

PROFILES = [
    "Projektujemy instalacje chłodnicze dla przemysłu spożywczego.",
    "We are a shipyard building ferries and tugs in Gdynia.",
    "Software house building cloud platforms and mobile apps.",
    "Budujemy drogi, mosty i osiedla mieszkaniowe na Pomorzu.",
]


def _request(http: httpx.Client, i: int) -> tuple[int, int]:
    """One of five kinds of request; returns (request number, status)."""
    text = PROFILES[i % len(PROFILES)]
    kind = i % 5
    if kind == 0:
        response = http.post("/v1/match", json={"text": text, "top_k": 2})
    elif kind == 1:
        response = http.post("/v1/triage", json={"profiles": [{"id": str(i), "text": text}] * 3})
    elif kind == 2:
        response = http.post("/v1/inquiries", json={"text": text, "contact": f"client{i}@example.pl"})
    elif kind == 3:
        response = http.get("/v1/clusters")
    else:
        response = http.get("/readyz")
    return i, response.status_code


def test_128_requests_from_16_clients_all_succeed_during_refits(settings, learning_factory, live_server, admin):
    with live_server(create_app(settings, matcher_factory=learning_factory)) as base:
        with httpx.Client(base_url=base, timeout=120) as http, ThreadPoolExecutor(16) as pool:
            before = http.get("/readyz").json()["provenance"]["n_feedback"]
            first = [pool.submit(_request, http, i) for i in range(64)]
            # Two refits while the requests run: readers must only ever see a whole matcher.
            for text in PROFILES[:2]:
                added = http.post("/v1/feedback", json={"text": text, "labels": ["none"]}, headers=admin)
                assert added.status_code == 201
            rest = [pool.submit(_request, http, i) for i in range(64, 128)]
            statuses = dict(f.result() for f in [*first, *rest])
            # a write is acknowledged before the background refit that learns it: wait for that refit
            deadline = time.monotonic() + 120
            while (after := http.get("/readyz").json()["provenance"]["n_feedback"]) < before + 2:
                assert time.monotonic() < deadline, "the background refit never learned the feedback"
                time.sleep(0.2)
            stored = http.get("/v1/inquiries", params={"limit": 500}, headers=admin).json()["count"]
    assert len(statuses) == 128
    failed = {i: s for i, s in statuses.items() if s not in (200, 201)}
    assert not failed, failed
    assert after == before + 2
    assert stored == sum(1 for i in range(128) if i % 5 == 2)
