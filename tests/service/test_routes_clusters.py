"""/v1/clusters: reading the catalogue, and admin edits that the matcher learns without a restart."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from matcher.catalogue import Catalogue
from service.main import create_app

BAKERY = {
    "name": {"en": "Pomeranian Bakers' Guild", "pl": "Pomorski Cech Piekarzy"},
    "description": {
        "en": "Bakeries and confectioners: bread, cakes, pastry and sourdough baked for local shops.",
        "pl": "Piekarnie i cukiernie: chleb, ciasta, wypieki i chleb na zakwasie dla lokalnych sklepów.",
    },
    "terms": {"en": ["bakery", "bread", "cakes", "pastry"], "pl": ["piekarnia", "chleb", "ciasta", "wypieki"]},
    "typical_members": {
        "en": ["A family bakery baking sourdough bread and cakes every night."],
        "pl": ["Rodzinna piekarnia wypiekająca chleb na zakwasie i ciasta."],
    },
    "url": "https://example.org/bakers",
}


def test_list_and_read_clusters(client):
    body = client.get("/v1/clusters").json()
    assert body["count"] == 6
    assert [c["id"] for c in body["data"]] == ["biochem", "maritime", "hvac", "ict", "construction", "energy"]
    hvac = client.get("/v1/clusters/hvac").json()
    assert hvac["name"]["en"] == "KlimaPomerania"
    assert hvac["terms"]["pl"] and hvac["typical_members"]["en"]


def test_unknown_cluster_is_404(client):
    response = client.get("/v1/clusters/bakery")
    assert response.status_code == 404
    assert "no cluster with id 'bakery'" in response.json()["detail"]


@pytest.mark.parametrize(("method", "path"), [("put", "/v1/clusters/bakery"), ("delete", "/v1/clusters/hvac")])
@pytest.mark.parametrize("headers", [{}, {"X-API-Key": "wrong"}, {"X-API-Key": ""}])
def test_edits_need_the_right_key(client, method, path, headers):
    response = client.request(method, path, json=BAKERY, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "X-API-Key"
    assert client.get("/v1/clusters/hvac").status_code == 200


def test_without_a_configured_key_admin_is_disabled(make_settings, fixed_factory, running):
    app = create_app(make_settings(api_key=None), matcher_factory=fixed_factory)
    with running(app) as client:
        response = client.delete("/v1/clusters/hvac", headers={"X-API-Key": ""})
    assert response.status_code == 401
    assert response.json()["detail"] == "admin is disabled: the server has no MATCHER_API_KEY set"


@pytest.mark.parametrize(
    ("path", "change", "loc"),
    [
        ("/v1/clusters/bakery", {"id": "cakes"}, ["body", "id"]),
        ("/v1/clusters/none", {}, ["path", "cluster_id"]),
        ("/v1/clusters/Bakery", {}, ["path", "cluster_id"]),
        ("/v1/clusters/bakery", {"name": {"en": "Bakers", "pl": "  "}}, ["body", "name", "pl"]),
        ("/v1/clusters/bakery", {"terms": {"en": [], "pl": ["chleb"]}}, ["body", "terms", "en"]),
        ("/v1/clusters/bakery", {"url": "ftp://example.org"}, ["body", "url"]),
        ("/v1/clusters/bakery", {"colour": "brown"}, ["body", "colour"]),
    ],
)
def test_invalid_cluster_edits_are_422(client, admin, path, change, loc):
    response = client.put(path, json={**BAKERY, **change}, headers=admin)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == loc


def test_delete_unknown_cluster_is_404(client, admin):
    assert client.delete("/v1/clusters/bakery", headers=admin).status_code == 404


def test_the_last_cluster_cannot_be_deleted(settings, catalogue, admin, running):
    only = Catalogue((catalogue.get("hvac"),))
    lone = SimpleNamespace(catalogue_=only, classes_=only.ids, provenance_={}, match=lambda text: None)
    with running(create_app(settings, matcher_factory=lambda settings, store, encoders: lone)) as client:
        response = client.delete("/v1/clusters/hvac", headers=admin)
    assert response.status_code == 409
    assert "last cluster" in response.json()["detail"]


def test_added_and_deleted_clusters_are_matched_without_a_restart(learning_client, admin, learned):
    client = learning_client
    created = client.put("/v1/clusters/bakery", json=BAKERY, headers=admin)
    assert created.status_code == 200
    assert created.json()["name"]["pl"] == "Pomorski Cech Piekarzy"
    learned(client)  # acknowledged before the background refit that learns it
    assert client.get("/v1/clusters").json()["count"] == 7
    profile = {"text": "Nasza piekarnia wypieka chleb na zakwasie, ciasta i drożdżówki dla sklepów.", "top_k": 7}
    top = client.post("/v1/match", json=profile).json()["matches"][0]
    assert top["cluster"]["id"] == "bakery"
    assert top["cluster"]["url"] == "https://example.org/bakers"

    # hvac has labelled profiles; deleting it must not break the refit that follows.
    assert client.delete("/v1/clusters/hvac", headers=admin).json() == {"detail": "cluster 'hvac' deleted"}
    learned(client)
    assert client.get("/v1/clusters/hvac").status_code == 404
    ranked = client.post("/v1/match", json=profile).json()["matches"]
    assert "hvac" not in {m["cluster"]["id"] for m in ranked}
    assert len(ranked) == 6
