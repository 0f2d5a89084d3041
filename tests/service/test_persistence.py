"""Everything acknowledged survives a restart: a new app on the same database sees it."""

from __future__ import annotations

import time

import pytest

from service.main import create_app

pytestmark = pytest.mark.both_databases  # each test on SQLite and on PostgreSQL

BREAD = "We bake bread and cakes for local shops."
WINDFARM = "We install and service offshore wind farm foundations in the Baltic."


def test_inquiries_decisions_and_feedback_survive_a_restart(settings, fixed_factory, running, admin):
    with running(create_app(settings, matcher_factory=fixed_factory)) as client:
        waiting = client.post(
            "/v1/inquiries", json={"text": BREAD, "contact": "piekarnia@example.pl"}, headers=admin
        ).json()
        decided = client.post("/v1/inquiries", json={"text": WINDFARM}, headers=admin).json()
        client.post(f"/v1/inquiries/{decided['id']}/decision", json={"clusters": ["energy"]}, headers=admin)
        feedback = client.post(
            "/v1/feedback", json={"text": WINDFARM, "labels": ["energy", "construction"]}, headers=admin
        ).json()
        before = client.get("/v1/inquiries", headers=admin).json()

    with running(create_app(settings, matcher_factory=fixed_factory)) as client:
        after = client.get("/v1/inquiries", headers=admin).json()
        assert after == before
        assert client.get(f"/v1/inquiries/{waiting['id']}", headers=admin).json()["contact"] == "piekarnia@example.pl"
        again = client.get(f"/v1/inquiries/{decided['id']}", headers=admin).json()
        assert (again["status"], again["officer_clusters"]) == ("decided", ["energy"])
        stored = client.get("/v1/feedback", headers=admin).json()["data"]
        assert [(f["source"], f["labels"]) for f in stored] == [
            ("officer", ["energy"]),
            ("api", ["energy", "construction"]),
        ]
        assert stored[1] == feedback


def test_catalogue_edits_survive_a_restart(settings, learning_factory, running, admin, catalogue, learned):
    with running(create_app(settings, matcher_factory=learning_factory)) as client:
        hvac = {k: v for k, v in catalogue.get("hvac").to_dict().items() if k != "id"}  # the id is the path's
        renamed = {**hvac, "name": {"en": "KlimaPomerania Cluster", "pl": "Klaster KlimaPomerania"}}
        assert client.put("/v1/clusters/hvac", json=renamed, headers=admin).status_code == 200
        learned(client)  # acknowledged before the background refit that learns it
        edited = client.get("/readyz").json()["provenance"]["catalogue_sha256"]

    with running(create_app(settings, matcher_factory=learning_factory)) as client:
        assert client.get("/v1/clusters/hvac").json()["name"]["pl"] == "Klaster KlimaPomerania"
        assert client.get("/readyz").json()["provenance"]["catalogue_sha256"] == edited


def test_a_change_made_by_another_process_is_picked_up(settings, learning_factory, fixed_factory, running, admin):
    """Another worker (or the CLI) writes to the store; this app refits on its own within the interval."""
    with (
        running(create_app(settings, matcher_factory=learning_factory, stale_check_seconds=0)) as mine,
        running(create_app(settings, matcher_factory=fixed_factory)) as other,
    ):
        before = mine.get("/readyz").json()["provenance"]["n_feedback"]
        other.post("/v1/feedback", json={"text": WINDFARM, "labels": ["energy"]}, headers=admin)
        deadline = time.monotonic() + 60
        while mine.get("/readyz").json()["provenance"]["n_feedback"] != before + 1:
            assert time.monotonic() < deadline, "the other process's feedback was never learned"
            mine.post("/v1/match", json={"text": WINDFARM})  # any request schedules the check
            time.sleep(0.05)
