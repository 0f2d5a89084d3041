"""Limits on anonymous work: rate limits per client address on the open routes and on wrong admin
keys (429 with Retry-After), and the smaller triage batch without the admin key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.main import create_app
from service.throttle import RateLimited, Throttle

SHIP = "We are a shipyard building ferries and tugs in Gdynia."
OPEN_ROUTES = [
    ("/v1/match", {"text": SHIP}, "rate_limit_match"),
    ("/v1/inquiries", {"text": SHIP}, "rate_limit_inquiries"),
    ("/v1/triage", {"profiles": [{"id": "a", "text": SHIP}]}, "rate_limit_triage"),
]


@pytest.fixture
def limited(make_settings, fixed_factory, running):
    """An app with the given settings (small limits), as a context manager of its test client."""
    return lambda **overrides: running(create_app(make_settings(**overrides), matcher_factory=fixed_factory))


def _from_address(client: TestClient, host: str) -> TestClient:
    """A client of the same running app (its lifespan's state) from another address."""
    other = TestClient(client.app, client=(host, 4000))
    other.app_state.update(client.app_state)
    return other


def _assert_too_many(response, what: str) -> None:
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 60
    detail = response.json()["detail"]
    assert detail.startswith(f"too many {what} from this address (the limit is 2 per 1 minute); try again in ")


@pytest.mark.parametrize(("path", "body", "setting"), OPEN_ROUTES)
def test_an_open_route_answers_429_with_retry_after_past_its_limit(limited, path, body, setting):
    with limited(**{setting: "2/minute"}) as client:
        assert [client.post(path, json=body).status_code for _ in range(2)] in ([200, 200], [201, 201])
        _assert_too_many(client.post(path, json=body), f"requests to POST {path}")
        assert client.post(path, json=body, headers={"X-API-Key": "test-admin-key"}).status_code in (200, 201)
        others = _from_address(client, "192.0.2.7")  # another address has its own count
        assert others.post(path, json=body).status_code in (200, 201)


def test_each_route_is_counted_apart(limited):
    with limited(rate_limit_match="1/minute", rate_limit_inquiries="1/minute") as client:
        assert client.post("/v1/match", json={"text": SHIP}).status_code == 200
        assert client.post("/v1/inquiries", json={"text": SHIP}).status_code == 201
        assert client.post("/v1/match", json={"text": SHIP}).status_code == 429


def test_wrong_admin_keys_are_throttled_and_then_even_the_right_one_waits(limited, admin):
    wrong = {"X-API-Key": "guess"}
    with limited(rate_limit_wrong_key="2/minute") as client:
        assert client.get("/v1/inquiries", headers=wrong).status_code == 401
        assert client.post("/v1/match", json={"text": SHIP}, headers=wrong).status_code == 401  # open routes too
        _assert_too_many(client.get("/v1/feedback", headers=wrong), "wrong admin keys")
        _assert_too_many(client.get("/v1/inquiries", headers=admin), "wrong admin keys")
        assert client.get("/v1/inquiries").status_code == 401  # no key at all is no attempt
        office = _from_address(client, "192.0.2.7")
        assert office.get("/v1/inquiries", headers=admin).status_code == 200


def test_the_right_key_and_no_key_are_not_counted_as_wrong(limited, admin):
    with limited(rate_limit_wrong_key="1/minute") as client:
        for _ in range(3):
            assert client.get("/v1/inquiries", headers=admin).status_code == 200
            assert client.get("/v1/inquiries", headers={"X-API-Key": ""}).status_code == 401
        assert client.get("/v1/inquiries", headers={"X-API-Key": "guess"}).status_code == 401


def test_triage_without_the_admin_key_takes_a_small_batch(limited, admin):
    batch = [{"id": str(i), "text": SHIP} for i in range(3)]
    with limited(anonymous_max_batch=2, max_batch=3) as client:
        refused = client.post("/v1/triage", json={"profiles": batch})
        assert client.post("/v1/triage", json={"profiles": batch[:2]}).status_code == 200
        assert client.post("/v1/triage", json={"profiles": batch}, headers=admin).json()["count"] == 3
        too_many = client.post("/v1/triage", json={"profiles": [*batch, *batch]}, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "type": "value_error",
            "loc": ["body", "profiles"],
            "msg": "the batch has 3 profiles; the limit is 2 per request without the admin key (X-API-Key), 3 with it",
        }
    ]
    assert too_many.json()["detail"][0]["msg"] == "the batch has 6 profiles; the limit is 3 per request"


def test_the_429_is_documented_on_every_limited_route(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/match", "/v1/inquiries", "/v1/triage"):
        assert "429" in paths[path]["post"]["responses"]
    assert "429" in paths["/v1/inquiries"]["get"]["responses"]


def test_a_limit_counts_in_a_moving_window():
    throttle = Throttle({"x": "2/minute;3/hour"})
    throttle.hit("x", "a")
    throttle.hit("x", "a")
    throttle.check("x", "b")
    with pytest.raises(RateLimited) as info:
        throttle.check("x", "a")
    assert "2 per 1 minute" in info.value.detail and 1 <= info.value.retry_after <= 60
    with pytest.raises(RateLimited):
        throttle.hit("x", "a")
