"""GET /metrics: request latency by route template, matches by outcome, the review queue, refits."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from service.main import create_app
from service.metrics import ReviewQueueCollector

PROJ_ROOT = Path(__file__).resolve().parents[2]


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics``, parsed with prometheus-client's own parser, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels: str) -> float:
    return float(samples.get((name, tuple(sorted(labels.items()))), 0.0))


def delta(before, after, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_a_scrape_after_some_requests(client, admin):
    before = scrape(client)
    assert client.get("/v1/clusters/hvac").status_code == 200
    assert client.get("/v1/clusters/no-such-cluster").status_code == 404
    match = client.post("/v1/match", json={"text": "We design refrigeration and ventilation systems."}).json()
    triage = client.post("/v1/triage", json={"profiles": [{"id": "a", "text": "Shipyard."}, {"id": "b", "text": "x"}]})
    inquiry = client.post("/v1/inquiries", json={"text": "Nasza firma buduje statki i jachty."}).json()
    after = scrape(client)

    # Latency per route template, never per raw path.
    route = {"method": "GET", "route": "/v1/clusters/{cluster_id}"}
    assert delta(before, after, "matcher_http_request_duration_seconds_count", **route) == 2
    assert delta(before, after, "matcher_http_requests_total", **route, status="200") == 1
    assert delta(before, after, "matcher_http_requests_total", **route, status="404") == 1
    assert not [key for key in after if dict(key[1]).get("route", "").endswith("/hvac")]
    # Matches by source, outcome and needs_review, as the clients were told.
    needs_review = str(match["needs_review"]).lower()
    assert (
        delta(
            before, after, "matcher_matches_total", source="match", outcome=match["outcome"], needs_review=needs_review
        )
        == 1
    )
    triaged = sum(
        delta(
            before,
            after,
            "matcher_matches_total",
            source="triage",
            outcome=line["outcome"],
            needs_review=str(line["needs_review"]).lower(),
        )
        for line in {(line["outcome"], line["needs_review"]): line for line in triage.json()["data"]}.values()
    )
    assert triaged == 2
    assert {dict(key[1])["outcome"] for key in after if key[0] == "matcher_matches_total"} <= {
        "routed",
        "no_fit",
        "unclear",
    }
    assert delta(before, after, "matcher_inquiries_total", status=inquiry["status"]) == 1
    # The review queue is read from the store.
    queue = client.get("/v1/inquiries", params={"status": "needs_review"}, headers=admin).json()["count"]
    assert value(after, "matcher_review_queue_size") == queue
    # The first load was counted and timed; process metrics come with a single process.
    assert value(after, "matcher_refits_total", kind="first_load", result="ok") >= 1
    assert value(after, "matcher_refit_duration_seconds_count", kind="first_load") >= 1
    assert value(after, "process_resident_memory_bytes") > 0


def test_unknown_paths_share_one_series(client):
    before = scrape(client)
    for path in ("/no/such/page", "/wp-admin/setup.php", "/v1/nothing-here"):
        assert client.get(path).status_code == 404
    after = scrape(client)
    assert delta(before, after, "matcher_http_requests_total", method="GET", route="unmatched", status="404") == 3


def test_made_up_methods_share_one_series(client):
    before = scrape(client)
    assert client.request("BREW", "/v1/match").status_code == 405
    assert client.request("PURGE", "/nothing").status_code == 404
    after = scrape(client)
    assert delta(before, after, "matcher_http_requests_total", method="other", route="/v1/match", status="405") == 1
    assert delta(before, after, "matcher_http_requests_total", method="other", route="unmatched", status="404") == 1


def test_a_too_large_body_is_counted_under_its_route(make_settings, fixed_factory, running):
    settings = make_settings(max_body_bytes=1024)
    with running(create_app(settings, matcher_factory=fixed_factory)) as client:
        before = scrape(client)
        assert client.post("/v1/match", json={"text": "x" * 2000}).status_code == 413
        after = scrape(client)
    assert delta(before, after, "matcher_http_requests_total", method="POST", route="/v1/match", status="413") == 1


def test_metrics_are_not_part_of_the_api_schema(client):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_openmetrics_on_request(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


def test_a_refit_is_counted_and_timed(learning_client, admin):
    before = scrape(learning_client)
    feedback = {"text": "Budujemy kutry rybackie.", "labels": ["maritime"]}
    assert learning_client.post("/v1/feedback", json=feedback, headers=admin).status_code == 201
    deadline = time.monotonic() + 120  # the refit runs in the background
    while delta(before, after := scrape(learning_client), "matcher_refits_total", kind="refit", result="ok") < 1:
        assert time.monotonic() < deadline, "no refit was counted"
        time.sleep(0.1)
    assert delta(before, after, "matcher_refit_duration_seconds_count", kind="refit") >= 1


def test_a_failed_first_load_is_counted(settings):
    release = threading.Event()

    def broken(settings, store, encoders):
        assert release.wait(10), "the test never released the load"
        raise FileNotFoundError("no such model")

    with TestClient(create_app(settings, matcher_factory=broken)) as client:
        before = scrape(client)
        release.set()
        for _ in range(1000):
            if client.get("/readyz").json()["status"] == "failed":
                break
            time.sleep(0.01)
        after = scrape(client)
    assert delta(before, after, "matcher_refits_total", kind="first_load", result="failed") == 1
    assert delta(before, after, "matcher_refit_duration_seconds_count", kind="first_load") == 0


def test_the_queue_size_is_left_out_when_the_store_fails():
    class Down:
        def count_inquiries(self, where=None):
            raise OperationalError("SELECT count(*)", {}, ConnectionRefusedError("the database is down"))

    assert list(ReviewQueueCollector(Down()).collect()) == []  # type: ignore[arg-type]


_WORKER = """
from service import metrics
metrics.MATCHES.labels("match", "routed", "false").inc({n})
"""
_SCRAPE = """
from service import metrics
print(metrics.render()[0].decode())
"""


def test_multiprocess_mode_adds_up_the_workers(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR set, a scrape of one worker reports every worker's counts."""
    folder = tmp_path / "prometheus"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}

    def run(code: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=PROJ_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    run(_WORKER.format(n=2))
    run(_WORKER.format(n=3))
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(run(_SCRAPE))
        for s in family.samples
    }
    assert value(samples, "matcher_matches_total", source="match", outcome="routed", needs_review="false") == 5
    assert len(list(folder.glob("*.db"))) >= 2  # one file per process
