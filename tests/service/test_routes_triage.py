"""POST /v1/triage: a batch in, the triage lines (as `matcher triage` writes them) out, in order."""

from __future__ import annotations

import pytest

from matcher.serialize import triage_line
from service.main import create_app

BATCH = [
    {"id": "p1", "text": "Projektujemy instalacje chłodnicze dla przemysłu spożywczego."},
    {"id": "p2", "text": "We are a shipyard building ferries and tugs in Gdynia."},
    {"id": "p3", "text": "We bake bread and cakes for local shops."},
]


def test_triage_returns_one_design_line_per_profile_in_order(client, small_matcher):
    response = client.post("/v1/triage", json={"profiles": BATCH})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    expected = [triage_line(p["id"], small_matcher.match(p["text"], explain=False)) for p in BATCH]
    assert body["data"] == expected
    assert [line["decision"][:1] for line in body["data"]] == [["hvac"], ["maritime"], []]  # in order
    assert all(len(line["ranking"]) == 6 for line in body["data"])
    assert body["data"][2]["review_reason"] == "no cluster fits well enough"  # the office sees why


def test_a_batch_over_the_limit_is_422_with_a_clear_message(make_settings, fixed_factory, running):
    with running(create_app(make_settings(max_batch=2), matcher_factory=fixed_factory)) as client:
        response = client.post("/v1/triage", json={"profiles": BATCH})
        assert client.post("/v1/triage", json={"profiles": BATCH[:2]}).status_code == 200
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "the batch has 3 profiles; the limit is 2 per request"
    assert client.app.openapi()["components"]["schemas"]["TriageRequest"]["properties"]["profiles"]["maxItems"] == 2


@pytest.mark.parametrize(
    ("batch", "loc"),
    [
        ([], ["body", "profiles"]),
        ([{"id": "a", "text": "  "}], ["body", "profiles", 0, "text"]),
        ([BATCH[0], {"id": 7, "text": "ships"}], ["body", "profiles", 1, "id"]),
        ([{"text": "ships"}], ["body", "profiles", 0, "id"]),
    ],
)
def test_invalid_batches_are_422_naming_the_profile(client, batch, loc):
    response = client.post("/v1/triage", json={"profiles": batch})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_a_text_over_the_limit_names_its_profile(make_settings, fixed_factory, running):
    with running(create_app(make_settings(max_text_chars=20), matcher_factory=fixed_factory)) as client:
        response = client.post(
            "/v1/triage", json={"profiles": [{"id": "short", "text": "Stocznia."}, {"id": "long", "text": "x" * 21}]}
        )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "profiles", 1, "text"]
