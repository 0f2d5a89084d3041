"""/healthz, /readyz and the start-up: the models load in the background, readiness says when."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from service.main import create_app


def _readiness_after_loading(client: TestClient) -> dict[str, object]:
    for _ in range(1000):
        response = client.get("/readyz")
        body: dict[str, object] = response.json()
        if body["status"] != "loading":
            assert response.status_code == (200 if body["status"] == "ready" else 503)
            return body
        time.sleep(0.01)
    raise AssertionError("still loading after 10 s")


def test_healthz_and_readyz_while_loading_then_ready(settings, small_matcher):
    release = threading.Event()

    def slow_factory(settings, store, encoders):
        assert release.wait(10), "the test never released the load"
        return small_matcher

    with TestClient(create_app(settings, matcher_factory=slow_factory)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        loading = client.get("/readyz")
        assert loading.status_code == 503
        assert loading.json()["status"] == "loading"
        busy = client.post("/v1/match", json={"text": "We build ships."})
        assert busy.status_code == 503
        assert busy.headers["retry-after"] == "5"
        assert "loading" in busy.json()["detail"]
        release.set()
        body = _readiness_after_loading(client)
        assert body["status"] == "ready"
        assert body["clusters"] == 6
        assert body["provenance"]["encoders"][0] == "test-hashing-trigrams"
        assert body["provenance"]["catalogue_sha256"] == small_matcher.provenance_["catalogue_sha256"]


def test_a_failed_load_shows_on_readyz_and_api_answers_503(settings):
    def broken_factory(settings, store, encoders):
        raise FileNotFoundError("no such model: all-MiniLM-L6-v3")

    with TestClient(create_app(settings, matcher_factory=broken_factory)) as client:
        body = _readiness_after_loading(client)
        assert body == {
            "status": "failed",
            "detail": "FileNotFoundError: no such model: all-MiniLM-L6-v3",
            "clusters": None,
            "provenance": None,
        }
        response = client.get("/v1/clusters")
        assert response.status_code == 503
        assert "failed to load" in response.json()["detail"]
        assert client.get("/healthz").status_code == 200


def test_openapi_documents_every_v1_route_with_a_response_model(client):
    schema = client.get("/openapi.json").json()
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert {path for path, _, _ in operations} >= {
        "/v1/match",
        "/v1/triage",
        "/v1/clusters",
        "/v1/clusters/{cluster_id}",
        "/v1/inquiries",
        "/v1/inquiries/{inquiry_id}",
        "/v1/inquiries/{inquiry_id}/decision",
        "/v1/feedback",
        "/v1/feedback/{feedback_id}",
        "/healthz",
        "/readyz",
    }
    files = {"/v1/inquiries/export"}  # answers with a file: CSV or an Excel workbook
    for path, method, op in operations:
        success = next(code for code in op["responses"] if code.startswith("2"))
        if path in files:
            assert set(op["responses"][success]["content"]) == {
                "text/csv; charset=utf-8",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
            continue
        assert "$ref" in op["responses"][success]["content"]["application/json"]["schema"], (method, path)
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("path", ["/", "/office"])
def test_pages_are_served_with_a_strict_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert '<html lang="en">' in response.text
