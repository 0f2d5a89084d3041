"""/v1/feedback: adding, listing and withdrawing labelled profiles (admin), learned without a restart."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_databases  # each test on SQLite and on PostgreSQL

SHIP = "We design hull structures and propulsion for offshore supply vessels."


def test_feedback_needs_the_admin_key(client):
    assert client.get("/v1/feedback").status_code == 401
    assert client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime"]}).status_code == 401
    assert client.delete("/v1/feedback/1", headers={"X-API-Key": "nope"}).status_code == 401


def test_add_list_and_withdraw(client, admin):
    created = client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime", "energy"]}, headers=admin)
    assert created.status_code == 201
    item = created.json()
    assert (item["labels"], item["source"], item["lang"], item["withdrawn_at"]) == (
        ["maritime", "energy"],
        "api",
        "en",
        None,
    )
    assert client.get("/v1/feedback", headers=admin).json()["data"] == [item]

    withdrawn = client.delete(f"/v1/feedback/{item['id']}", headers=admin).json()
    assert withdrawn["withdrawn_at"] is not None
    assert client.get("/v1/feedback", headers=admin).json()["count"] == 0
    everything = client.get("/v1/feedback", params={"include_withdrawn": True}, headers=admin).json()
    assert [f["id"] for f in everything["data"]] == [item["id"]]


def test_the_same_feedback_sent_again_is_stored_once(client, admin):
    """A repeated POST (a retry, a double click) was a second row; the CLI import never stored one."""
    first = client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime", "energy"]}, headers=admin)
    again = client.post("/v1/feedback", json={"text": SHIP, "labels": ["energy", "maritime"]}, headers=admin)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime"]}, headers=admin)
    assert other.status_code == 201  # other labels are other feedback
    assert client.get("/v1/feedback", headers=admin).json()["count"] == 2
    client.delete(f"/v1/feedback/{first.json()['id']}", headers=admin)
    anew = client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime", "energy"]}, headers=admin)
    assert anew.status_code == 201 and anew.json()["id"] not in (first.json()["id"], other.json()["id"])


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (["bakery"], "unknown cluster 'bakery'"),
        (["none", "hvac"], "'none' (no cluster fits) cannot stand with a cluster"),
        (["hvac", "none"], "'none' (no cluster fits) cannot stand with a cluster"),
    ],
)
def test_invalid_labels_are_422(client, admin, labels, message):
    response = client.post("/v1/feedback", json={"text": SHIP, "labels": labels}, headers=admin)
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(("first", "again"), [(["none"], []), ([], ["none"])])
def test_out_of_scope_feedback_is_labelled_none_either_way(client, admin, first, again):
    item = client.post("/v1/feedback", json={"text": "Piekarnia w Sopocie.", "labels": first}, headers=admin)
    assert item.status_code == 201
    assert item.json()["labels"] == ["none"]
    assert item.json()["lang"] == "pl"
    repeated = client.post("/v1/feedback", json={"text": "Piekarnia w Sopocie.", "labels": again}, headers=admin)
    assert (repeated.status_code, repeated.json()) == (200, item.json())  # the same feedback, stored once


def test_withdrawing_unknown_feedback_is_404(client, admin):
    response = client.delete("/v1/feedback/4242", headers=admin)
    assert response.status_code == 404
    assert response.json() == {"detail": "no feedback with id 4242"}


def test_feedback_is_learned_and_unlearned_without_a_restart(learning_client, admin, learned):
    client = learning_client
    before = client.get("/readyz").json()["provenance"]["n_feedback"]
    item = client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime"]}, headers=admin).json()
    learned(client)  # acknowledged before the background refit that learns it
    assert client.get("/readyz").json()["provenance"]["n_feedback"] == before + 1
    client.delete(f"/v1/feedback/{item['id']}", headers=admin)
    learned(client)
    assert client.get("/readyz").json()["provenance"]["n_feedback"] == before
