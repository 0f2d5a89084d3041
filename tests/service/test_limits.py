"""Validation and limits: every bad request is a 4xx with a JSON detail, never a 500."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient

from matcher.text import is_blank
from service.main import create_app
from service.schemas import VISIBLE


@pytest.fixture
def strict_client(make_settings, fixed_factory, running):
    """Small limits, so they are cheap to cross."""
    settings = make_settings(max_text_chars=100, max_body_bytes=2048, max_batch=3)
    with running(create_app(settings, matcher_factory=fixed_factory)) as client:
        yield client


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": "\u200b\u200d \u00ad\ufeff"}, "text"),  # zero-width space, joiner, soft hyphen, BOM
        ({}, "text"),
        ({"text": 42}, "text"),
        ({"text": ["a list"]}, "text"),
        ({"text": "ships", "top_k": 0}, "top_k"),
        ({"text": "ships", "top_k": "3"}, "top_k"),
        ({"text": "ships", "top_k": 2.5}, "top_k"),
        ({"text": "ships", "topk": 3}, "topk"),
    ],
)
def test_invalid_match_requests_are_422_naming_the_field(client, body, field):
    response = client.post("/v1/match", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize("blank", ["  ", "\u200b\u200b", "\x00\x00"])
def test_blank_text_says_why(client, blank):
    detail = client.post("/v1/match", json={"text": blank}).json()["detail"][0]
    assert "empty or only whitespace" in detail["msg"]


def test_text_over_the_limit_is_422_with_the_limit_in_the_message(strict_client):
    response = strict_client.post("/v1/match", json={"text": "x" * 101})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "value_error", "loc": ["body", "text"], "msg": "the text has 101 characters; the limit is 100"}
    ]
    assert strict_client.post("/v1/match", json={"text": "x" * 100}).status_code == 200


def test_body_over_the_limit_is_413_by_content_length(strict_client):
    response = strict_client.post("/v1/match", json={"text": "x" * 3000})
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is over the limit of 2048 bytes"}


def test_body_over_the_limit_is_413_when_streamed_without_content_length(strict_client):
    chunks = iter([b'{"text": "', b"x" * 1500, b"x" * 1500, b'"}'])
    response = strict_client.post("/v1/match", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "limit of 2048 bytes" in response.json()["detail"]


def test_a_streamed_body_under_the_limit_is_read_whole(strict_client):
    chunks = iter([b'{"text": "We build ', b'ships and ferries."}'])
    response = strict_client.post("/v1/match", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 200


def test_invalid_json_and_invalid_unicode_are_422(client):
    for raw in (b'{"text": "unterminated', b'{"text": "lone \\ud800 surrogate"}', b"\xff\xfe"):
        response = client.post("/v1/match", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, raw
        assert "detail" in response.json()


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/inquiries", {"text": "We build ships.", "contact": "\udfff"}, ["body", "contact"]),
        ("/v1/triage", {"profiles": [{"id": "\udfff", "text": "We build ships."}]}, ["body", "profiles", 0, "id"]),
        ("/v1/match", {"text": "We build \udfff ships."}, ["body", "text"]),
    ],
)
def test_a_lone_surrogate_in_any_string_is_422_naming_the_field(client, path, body, loc):
    """A JSON escape like \\udfff decodes to a lone surrogate, which cannot be stored or sent back."""
    response = client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/match", {"text": "\x00\x00"}, ["body", "text"]),
        ("/v1/inquiries", {"text": "\x00 \x00"}, ["body", "text"]),
        ("/v1/triage", {"profiles": [{"id": "a", "text": "\x00"}]}, ["body", "profiles", 0, "text"]),
        ("/v1/feedback", {"text": "\x00\u200b", "labels": ["hvac"]}, ["body", "text"]),
    ],
)
def test_a_text_of_nul_characters_is_blank(client, admin, path, body, loc):
    """NUL shows nothing; stored as U+FFFD it would have passed for a visible character."""
    response = client.post(path, json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc
    assert "empty or only whitespace" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("text", ["", " ", "\x00", "\x00a", "\u200b\ufeff", "\u3000x", "\u00a0", "\x1c", "ok"])
def test_the_documented_pattern_agrees_with_the_server(text):
    assert (re.search(VISIBLE, text) is not None) == (not is_blank(text))


def test_unknown_routes_and_methods_answer_json(client):
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong_method = client.get("/v1/match")
    assert wrong_method.status_code == 405
    assert "detail" in wrong_method.json()


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/v1/match", "POST"),
        ("post", "/v1/clusters/hvac", "GET, PUT, DELETE"),
        ("put", "/v1/inquiries/1/decision", "POST"),
        ("post", "/", "GET, HEAD"),
        ("post", "/static/app.js", "GET, HEAD"),
    ],
)
def test_a_wrong_method_names_the_allowed_ones(client, method, path, allowed):
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed


def test_the_pages_answer_head(client):
    for path in ("/", "/office"):
        response = client.head(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "body", ['{"text": "ship", "top_k": NaN}', '{"text": Infinity}', "-Infinity", '{"text": 1e999}']
)
def test_nan_and_infinity_are_422(client, body):
    """Python's JSON reader accepts NaN and Infinity; the 422 that echoes them must still be JSON."""
    response = client.post("/v1/match", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert "detail" in response.json()


@pytest.mark.parametrize("inquiry_id", ["0", "-1", "abc", str(2**31), "99999999999999999999999"])
def test_out_of_range_ids_are_422_not_a_database_error(client, admin, inquiry_id):
    assert client.get(f"/v1/inquiries/{inquiry_id}", headers=admin).status_code == 422


def test_a_non_ascii_api_key_is_refused_not_crashed(client):
    response = client.get("/v1/feedback", headers={"X-API-Key": "klucz-żółw".encode()})
    assert response.status_code == 401


def test_a_bug_is_a_json_500_without_internals(settings, small_matcher):
    class Broken:
        """Fitted enough to load; fails on use, as a real bug would."""

        provenance_ = small_matcher.provenance_
        classes_ = small_matcher.classes_
        catalogue_ = small_matcher.catalogue_

        def match(self, text, **kwargs):  # one profile works; batches fail
            return small_matcher.match(text, **kwargs)

        def match_many(self, *args, **kwargs):
            raise RuntimeError("secret internal state")

    app = create_app(settings, matcher_factory=lambda settings, store, encoders: Broken())
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(500):
            if client.get("/readyz").status_code == 200:
                break
            time.sleep(0.01)
        response = client.post("/v1/triage", json={"profiles": [{"id": "a", "text": "ships"}]})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; it has been logged"}
