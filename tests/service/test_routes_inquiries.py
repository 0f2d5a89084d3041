"""/v1/inquiries: routing and storing, the review queue, and officers' decisions that become feedback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.both_databases  # each test on SQLite and on PostgreSQL

BREAD = "We bake bread and cakes for local shops."  # fits no cluster: lands in the review queue
HVAC_PL = "Projektujemy i montujemy instalacje chłodnicze oraz klimatyzację dla przemysłu spożywczego."


def test_creating_an_inquiry_routes_and_stores_it(client, admin):
    response = client.post("/v1/inquiries", json={"text": HVAC_PL, "contact": "biuro@chlodnie.pl"}, headers=admin)
    assert response.status_code == 201
    created = response.json()
    assert created["id"] >= 1
    assert isinstance(created["ref"], str) and len(created["ref"]) >= 16
    assert created["decision"] == ["hvac"]
    assert created["lang"] == "pl"
    assert created["contact"] == "biuro@chlodnie.pl"
    assert created["status"] == ("needs_review" if created["needs_review"] else "routed")
    assert [r["cluster"] for r in created["ranking"]][0] == "hvac"
    assert created["officer_clusters"] is None
    assert created["created_at"].endswith("Z") or created["created_at"].endswith("+00:00")
    assert client.get(f"/v1/inquiries/{created['id']}", headers=admin).json() == created


def test_an_anonymous_sender_gets_an_opaque_ref_and_no_sequential_id(client, admin):
    """The answer without the admin key tells nobody how many inquiries there are."""
    sent = [client.post("/v1/inquiries", json={"text": t}) for t in (HVAC_PL, BREAD)]
    assert [r.status_code for r in sent] == [201, 201]
    first, second = (r.json() for r in sent)
    assert first["id"] is None and second["id"] is None
    refs = [first["ref"], second["ref"]]
    assert all(len(ref) >= 16 and not ref.isdigit() for ref in refs)
    assert refs[0] != refs[1] and not refs[0].startswith(refs[1][:8])  # random, not a counter
    listed = client.get("/v1/inquiries", headers=admin).json()["data"]
    assert [(i["ref"], i["text"]) for i in listed] == [(refs[1], BREAD), (refs[0], HVAC_PL)]
    assert all(isinstance(i["id"], int) for i in listed)  # the office keeps its numbers
    one = client.get(f"/v1/inquiries/{listed[0]['id']}", headers=admin).json()
    assert (one["id"], one["ref"]) == (listed[0]["id"], refs[1])


def test_a_profile_that_fits_nothing_joins_the_review_queue(client, admin):
    inquiry = client.post("/v1/inquiries", json={"text": BREAD}, headers=admin).json()
    assert inquiry["status"] == "needs_review"
    assert inquiry["contact"] is None
    queue = client.get("/v1/inquiries", params={"status": "needs_review"}, headers=admin).json()
    assert [i["id"] for i in queue["data"]] == [inquiry["id"]]
    assert queue["count"] == 1


def test_the_list_filters_by_status_newest_first_and_pages(client, admin):
    ids = [
        client.post("/v1/inquiries", json={"text": t}, headers=admin).json()["id"] for t in (HVAC_PL, BREAD, HVAC_PL)
    ]
    everything = client.get("/v1/inquiries", headers=admin).json()
    assert [i["id"] for i in everything["data"]] == ids[::-1]
    page = client.get("/v1/inquiries", params={"limit": 1, "offset": 1}, headers=admin).json()
    assert [i["id"] for i in page["data"]] == [ids[1]]
    assert client.get("/v1/inquiries", params={"status": "lost"}, headers=admin).status_code == 422


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/inquiries"), ("get", "/v1/inquiries/1"), ("post", "/v1/inquiries/1/decision")],
)
def test_the_office_side_needs_the_admin_key(client, method, path):
    client.post("/v1/inquiries", json={"text": BREAD, "contact": "private@example.pl"})
    response = client.request(method, path, json={"clusters": []})
    assert response.status_code == 401
    assert "private@example.pl" not in response.text


def test_unknown_inquiry_is_404(client, admin):
    assert client.get("/v1/inquiries/999", headers=admin).status_code == 404
    response = client.post("/v1/inquiries/999/decision", json={"clusters": ["hvac"]}, headers=admin)
    assert response.status_code == 404
    assert response.json() == {"detail": "no inquiry with id 999"}


@pytest.mark.parametrize(
    ("clusters", "message"),
    [
        (["bakery"], "unknown cluster 'bakery'"),
        (["none", "hvac"], "'none' (no cluster fits) cannot stand with a cluster"),
        (["hvac", "none"], "'none' (no cluster fits) cannot stand with a cluster"),
        ("hvac", "valid list"),
    ],
)
def test_a_decision_with_an_unknown_cluster_is_422(client, admin, clusters, message):
    inquiry = client.post("/v1/inquiries", json={"text": BREAD}, headers=admin).json()
    response = client.post(f"/v1/inquiries/{inquiry['id']}/decision", json={"clusters": clusters}, headers=admin)
    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]
    assert client.get(f"/v1/inquiries/{inquiry['id']}", headers=admin).json()["status"] == "needs_review"


@pytest.mark.parametrize("none", [[], ["none"]])
def test_no_cluster_fits_is_a_decision_and_leaves_the_queue(client, admin, none):
    inquiry = client.post("/v1/inquiries", json={"text": BREAD}, headers=admin).json()
    decided = client.post(f"/v1/inquiries/{inquiry['id']}/decision", json={"clusters": none}, headers=admin).json()
    assert decided["status"] == "decided"
    assert decided["officer_clusters"] == []
    assert decided["decided_at"] is not None
    assert client.get("/v1/inquiries", params={"status": "needs_review"}, headers=admin).json()["count"] == 0
    feedback = client.get("/v1/feedback", headers=admin).json()["data"]
    assert [(f["labels"], f["source"], f["inquiry_id"]) for f in feedback] == [(["none"], "officer", inquiry["id"])]


def test_a_correction_becomes_feedback_the_matcher_learns_from(learning_client, admin, learned):
    client = learning_client
    before = client.get("/readyz").json()["provenance"]["n_feedback"]
    text = "Serwisujemy wózki widłowe i suwnice w portowych magazynach zbożowych."
    inquiry = client.post("/v1/inquiries", json={"text": text}, headers=admin).json()
    score_before = _score(client, text, "construction")
    url = f"/v1/inquiries/{inquiry['id']}/decision"
    decided = client.post(url, json={"clusters": ["construction", "maritime", "construction"]}, headers=admin)
    assert decided.json()["officer_clusters"] == ["construction", "maritime"]
    learned(client)  # acknowledged before the background refit that learns it
    assert client.get("/readyz").json()["provenance"]["n_feedback"] == before + 1
    assert _score(client, text, "construction") > score_before

    # Deciding again replaces the earlier feedback instead of adding to it.
    client.post(url, json={"clusters": ["maritime"]}, headers=admin)
    learned(client)
    active = client.get("/v1/feedback", headers=admin).json()["data"]
    assert [f["labels"] for f in active] == [["maritime"]]
    assert client.get("/readyz").json()["provenance"]["n_feedback"] == before + 1


def _score(client, text: str, cluster: str) -> float:
    matches = client.post("/v1/match", json={"text": text, "top_k": 100}).json()["matches"]
    return next(m["score"] for m in matches if m["cluster"]["id"] == cluster)


def test_withdrawing_a_decision_puts_the_inquiry_back_in_the_queue(client, admin):
    inquiry = client.post("/v1/inquiries", json={"text": BREAD}, headers=admin).json()
    client.post(f"/v1/inquiries/{inquiry['id']}/decision", json={"clusters": []}, headers=admin)
    assert client.get("/v1/inquiries", params={"status": "needs_review"}, headers=admin).json()["count"] == 0
    (feedback,) = [f for f in client.get("/v1/feedback", headers=admin).json()["data"] if f["inquiry_id"]]
    assert client.delete(f"/v1/feedback/{feedback['id']}", headers=admin).status_code == 200
    again = client.get(f"/v1/inquiries/{inquiry['id']}", headers=admin).json()
    assert (again["status"], again["officer_clusters"]) == ("needs_review", None)
    queue = client.get("/v1/inquiries", params={"status": "needs_review"}, headers=admin).json()
    assert [i["id"] for i in queue["data"]] == [inquiry["id"]]
