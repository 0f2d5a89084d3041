"""Writes are acknowledged once stored; the matcher is refitted in the background, bursts coalesce,
the new matcher is swapped in whole, a failed refit leaves the old one serving, and every answer of
the matcher names the fitted state that made it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcher import loading
from service.main import create_app
from service.state import MatcherFactory, MatcherHolder

SHIP = "We repair ship engines and overhaul propellers for tugs in the port of Gdynia."
BREAD = "We bake bread and cakes for local shops."
BAKERY = {
    "name": {"en": "Pomeranian Bakers' Guild", "pl": "Pomorski Cech Piekarzy"},
    "description": {"en": "Bakeries: bread and cakes for local shops.", "pl": "Piekarnie: chleb i ciasta dla sklepów."},
    "terms": {"en": ["bakery", "bread", "cakes"], "pl": ["piekarnia", "chleb", "ciasta"]},
    "typical_members": {"en": ["A family bakery baking bread."], "pl": ["Rodzinna piekarnia wypiekająca chleb."]},
}
FIRMS = [f"Stocznia nr {i} buduje i remontuje kutry rybackie oraz promy na Bałtyku." for i in range(10)]


@dataclass
class Gate:
    """Wraps a factory: counts its refits (calls after the first load) and can hold them until released."""

    inner: MatcherFactory
    hold: bool = True
    fail: bool = False
    refits: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def __call__(self, settings: Any, store: Any, encoders: Any) -> Any:
        if encoders is not None:  # a refit: the first load has no encoders yet
            self.refits += 1
            self.started.set()
            if self.hold:
                assert self.release.wait(30), "the test never released the refit"
            if self.fail:
                raise RuntimeError("the refit broke")
        return self.inner(settings, store, encoders)


@pytest.fixture
def gate(learning_factory: MatcherFactory) -> Iterator[Gate]:
    g = Gate(learning_factory)
    yield g
    g.release.set()  # never leave the refit thread waiting


@contextmanager
def app_with(settings: Any, factory: MatcherFactory, running: Callable[..., Any]) -> Iterator[TestClient]:
    with running(create_app(settings, matcher_factory=factory, stale_check_seconds=3600)) as client:
        yield client


def holder(client: TestClient) -> MatcherHolder:
    return client.app_state["runtime"].holder  # type: ignore[no-any-return]


def fitted_state(client: TestClient, text: str = SHIP) -> tuple[str, int]:
    provenance = client.post("/v1/match", json={"text": text}).json()["provenance"]
    return provenance["fitted_state"], provenance["n_feedback"]


def test_a_decision_is_answered_while_the_refit_is_still_running(settings, gate, running, admin):
    with app_with(settings, gate, running) as client:
        inquiry = client.post("/v1/inquiries", json={"text": SHIP}, headers=admin).json()
        before = fitted_state(client)
        assert inquiry["provenance"]["fitted_state"] == before[0]

        decided = client.post(f"/v1/inquiries/{inquiry['id']}/decision", json={"clusters": ["maritime"]}, headers=admin)
        assert decided.status_code == 200
        assert decided.json()["status"] == "decided"
        assert gate.started.wait(10), "the decision asked for no refit"
        assert not gate.release.is_set()  # answered while the refit is held
        # Meanwhile the old matcher answers, and says so; the decision is stored already.
        assert fitted_state(client) == before
        assert [f["labels"] for f in client.get("/v1/feedback", headers=admin).json()["data"]] == [["maritime"]]

        gate.release.set()
        assert holder(client).wait_idle(60)
        after = fitted_state(client)
        assert after[0] != before[0]
        assert after[1] == before[1] + 1
        assert client.get("/readyz").json()["provenance"]["fitted_state"] == after[0]


def test_every_answer_of_the_matcher_names_the_fitted_state(settings, learning_factory, running, admin):
    with app_with(settings, learning_factory, running) as client:
        first, _ = fitted_state(client)
        assert len(first) == loading.FITTED_STATE_CHARS
        client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime"]}, headers=admin)
        assert holder(client).wait_idle(60)
        state = client.get("/readyz").json()["provenance"]["fitted_state"]
        assert state != first
        assert fitted_state(client)[0] == state
        triage = client.post("/v1/triage", json={"profiles": [{"id": "a", "text": SHIP}, {"id": "b", "text": BREAD}]})
        assert triage.json()["provenance"]["fitted_state"] == state
        assert "provenance" not in triage.json()["data"][0]  # the lines other programs read are as they were
        inquiry = client.post("/v1/inquiries", json={"text": BREAD}, headers=admin).json()
        assert inquiry["provenance"]["fitted_state"] == state
        assert client.get(f"/v1/inquiries/{inquiry['id']}", headers=admin).json()["provenance"] == inquiry["provenance"]


def test_a_burst_of_writes_leads_to_one_more_refit(settings, gate, running, admin):
    with app_with(settings, gate, running) as client:
        _, n_before = fitted_state(client)
        started = time.perf_counter()
        for i, text in enumerate(FIRMS):
            added = client.post("/v1/feedback", json={"text": text, "labels": ["maritime"]}, headers=admin)
            assert added.status_code == 201
            if i == 0:
                assert gate.started.wait(10)  # the first write's refit is running (and held)
        assert time.perf_counter() - started < 10  # none of them waited for a refit
        gate.release.set()
        assert holder(client).wait_idle(60)
        assert gate.refits == 2  # the one held, and one more for the nine writes made meanwhile
        assert fitted_state(client)[1] == n_before + len(FIRMS)


def test_a_failed_refit_keeps_the_old_matcher_serving_and_is_logged(settings, gate, running, admin, caplog):
    gate.hold, gate.fail = False, True
    with app_with(settings, gate, running) as client:
        before = fitted_state(client)
        with caplog.at_level(logging.ERROR, logger="service.holder"):
            added = client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime"]}, headers=admin)
            assert added.status_code == 201
            assert holder(client).wait_idle(60)
        assert gate.refits == 1
        failed = [r for r in caplog.records if "refitting the matcher failed" in r.getMessage()]
        assert failed
        assert failed[0].exc_info is not None and "the refit broke" in str(failed[0].exc_info[1])
        assert client.get("/readyz").json()["status"] == "ready"
        assert fitted_state(client) == before

        gate.fail = False  # the next write tries again at once
        client.post("/v1/feedback", json={"text": BREAD, "labels": ["none"]}, headers=admin)
        assert holder(client).wait_idle(60)
        assert fitted_state(client)[1] == before[1] + 2


def test_catalogue_edits_are_checked_against_what_is_stored_not_yet_fitted(settings, gate, running, admin, catalogue):
    with app_with(settings, gate, running) as client:
        ids = list(catalogue.ids)
        for cluster_id in ids[:-1]:
            response = client.delete(f"/v1/clusters/{cluster_id}", headers=admin)
            assert response.status_code == 200, response.json()
            assert gate.started.wait(10)
        # The matcher still has every cluster (its refit is held), but the store has one left.
        assert client.get("/v1/clusters").json()["count"] == len(ids)
        last = client.delete(f"/v1/clusters/{ids[-1]}", headers=admin)
        assert last.status_code == 409
        assert "last cluster" in last.json()["detail"]
        assert client.delete(f"/v1/clusters/{ids[0]}", headers=admin).status_code == 404
        refused = client.post("/v1/feedback", json={"text": SHIP, "labels": [ids[0]]}, headers=admin)
        assert refused.status_code == 422
        gate.release.set()
        assert holder(client).wait_idle(60)
        assert [c["id"] for c in client.get("/v1/clusters").json()["data"]] == [ids[-1]]


def test_a_restart_reads_the_state_a_background_refit_reached(settings, learning_factory, running, admin, monkeypatch):
    with app_with(settings, learning_factory, running) as client:
        client.post("/v1/feedback", json={"text": SHIP, "labels": ["maritime"]}, headers=admin)
        assert holder(client).wait_idle(60)
        reached = client.get("/readyz").json()["provenance"]

    def no_fit(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the restart fitted the matcher again")

    monkeypatch.setattr(loading.Matcher, "from_defaults", no_fit)
    with app_with(settings, learning_factory, running) as client:
        assert client.get("/readyz").json()["provenance"] == reached


def test_an_edit_made_while_loading_is_learned_without_waiting_for_a_stale_check(settings, learning_factory, admin):
    loaded = threading.Event()

    def slow_first_load(settings: Any, store: Any, encoders: Any) -> Any:
        if encoders is None:
            assert loaded.wait(30), "the test never let the first load finish"
        return learning_factory(settings, store, encoders)

    with TestClient(create_app(settings, matcher_factory=slow_first_load, stale_check_seconds=3600)) as client:
        assert client.put("/v1/clusters/bakery", json=BAKERY, headers=admin).status_code == 200
        assert client.post("/v1/match", json={"text": BREAD}).status_code == 503  # still loading
        loaded.set()
        assert holder(client).wait_idle(60)
        assert "bakery" in [c["id"] for c in client.get("/v1/clusters").json()["data"]]


def test_recent_feedback_keeps_the_newest_distinct_profiles():
    from matcher.types import LabelledProfile

    rows = [LabelledProfile(id=str(i), text=f"t{i % 4}", labels=("ict",)) for i in range(8)]
    assert [p.id for p in loading.recent_feedback(rows, 3)] == ["5", "6", "7"]
    assert [p.id for p in loading.recent_feedback(rows, 6)] == ["4", "5", "6", "7"]
    assert loading.recent_feedback(rows, None) == rows
