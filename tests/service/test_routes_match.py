"""POST /v1/match: the ranking, decision, cluster details and explanation offsets."""

from __future__ import annotations

import pytest

from service.main import create_app

HVAC_PL = "Projektujemy i montujemy instalacje chłodnicze oraz klimatyzację dla przemysłu spożywczego."
SHIPYARD_EN = "We are a shipyard in Gdynia building and repairing ferries, tugs and offshore vessels."


def test_match_returns_decision_and_top_k_clusters_with_details(client, small_matcher):
    response = client.post("/v1/match", json={"text": HVAC_PL, "top_k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == ["hvac"]
    assert body["lang"] == "pl"
    assert isinstance(body["needs_review"], bool)
    assert [m["cluster"]["id"] for m in body["matches"]][0] == "hvac"
    assert len(body["matches"]) == 2
    top = body["matches"][0]
    assert top["cluster"]["name"]["pl"] == "KlimaPomerania"
    assert set(top["cluster"]) == {"id", "name", "description", "former_names", "url"}
    assert top["label"] == "KlimaPomerania"
    assert body["provenance"]["n_examples"] == small_matcher.provenance_["n_examples"]


def test_default_top_k_is_three_and_scores_are_ranked_probabilities(client):
    body = client.post("/v1/match", json={"text": SHIPYARD_EN}).json()
    scores = [m["score"] for m in body["matches"]]
    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


def test_every_cluster_is_ranked_and_explained_when_asked(client):
    body = client.post("/v1/match", json={"text": SHIPYARD_EN, "top_k": 100}).json()
    assert sorted(m["cluster"]["id"] for m in body["matches"]) == sorted(
        ["biochem", "maritime", "hvac", "ict", "construction", "energy"]
    )
    assert all(m["explanation"] is not None for m in body["matches"])


def test_evidence_offsets_point_into_the_submitted_text(client):
    text = "Firma z Gdańska 🚢.\nProjektujemy instalacje chłodnicze i pompy ciepła dla chłodni. Serwis 24/7."
    body = client.post("/v1/match", json={"text": text, "top_k": 1}).json()
    explanation = body["matches"][0]["explanation"]
    assert explanation["evidence"], "the top cluster is explained by at least one passage"
    for ev in explanation["evidence"]:
        assert text[ev["start"] : ev["end"]] == ev["text"]
    assert explanation["summary"]


def test_a_profile_that_fits_no_cluster_is_said_so(client):
    body = client.post("/v1/match", json={"text": "We bake bread and cakes for local shops."}).json()
    assert body["decision"] == []
    assert body["needs_review"] is True
    assert body["review_reason"] == "no cluster fits well enough"


@pytest.mark.parametrize(
    "text",
    ["\x00 binary \x00 junk", "🚢" * 50, ".", "\u200b\u200bzero width", "a" * 20_000],
)
def test_odd_but_valid_text_is_answered_not_crashed(client, text):
    response = client.post("/v1/match", json={"text": text})
    assert response.status_code == 200
    assert len(response.json()["matches"]) == 3


def test_nul_characters_are_replaced_so_offsets_still_fit(client):
    text = "Stocznia\x00 w Gdyni: budujemy promy i holowniki."
    body = client.post("/v1/match", json={"text": text, "top_k": 1}).json()
    evidence = body["matches"][0]["explanation"]["evidence"]
    assert evidence
    for ev in evidence:
        assert text.replace("\x00", "\ufffd")[ev["start"] : ev["end"]] == ev["text"]


@pytest.mark.slow
def test_real_models_route_polish_and_english_profiles(settings, real_matcher, running):
    app = create_app(settings, matcher_factory=lambda settings, store, encoders: real_matcher)
    with running(app) as client:
        pl = client.post("/v1/match", json={"text": HVAC_PL}).json()
        en = client.post("/v1/match", json={"text": SHIPYARD_EN}).json()
    assert pl["decision"][0] == "hvac"
    assert pl["lang"] == "pl"
    assert en["decision"][0] == "maritime"
    assert en["lang"] == "en"
    assert "multilingual-e5-small" in en["provenance"]["encoders"]
