"""Replicas sharing one PostgreSQL database, as behind a load balancer.

Three service processes (tests/service/replica.py: the real app and store, the hashing encoder) on
their own ports, pointed at one database of the session's PostgreSQL server. Nothing is shared but
the database: what one replica acknowledges, the others show at once and learn from within seconds,
and ``kill -9`` of one loses nothing it acknowledged while the others keep answering.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.postgresql

RUNNER = Path(__file__).with_name("replica.py")
FORKLIFTS = "Serwisujemy wózki widłowe i suwnice w portowych magazynach zbożowych."
BREAD = "We bake bread and cakes for local shops."


@dataclass
class Replica:
    name: str
    process: subprocess.Popen[bytes]
    http: httpx.Client
    log: Path

    def kill(self) -> None:
        """``kill -9``: no shutdown, no lifespan, no goodbye to the database."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"replica {self.name} exited ({self.process.returncode}):\n{self.tail()}")
            try:
                if self.http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.1)
        raise AssertionError(f"replica {self.name} was not ready within {timeout} s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def n_feedback(self) -> int:
        return int(self.http.get("/readyz").json()["provenance"]["n_feedback"])

    def scores(self, text: str) -> dict[str, float]:
        matches = self.http.post("/v1/match", json={"text": text, "top_k": 100}).json()["matches"]
        return {m["cluster"]["id"]: m["score"] for m in matches}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _replica(name: str, env: dict[str, str], workdir: Path, headers: dict[str, str]) -> Iterator[Replica]:
    port = _free_port()
    log = workdir / f"replica-{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(RUNNER), str(port)], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60)
    try:
        yield Replica(name, process, http, log)
    finally:
        http.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def replicas(postgres_server, hashing_cache, few_profiles, admin, tmp_path) -> Iterator[list[Replica]]:
    """Three replicas, ready, on one new PostgreSQL database; each a process of its own."""
    with postgres_server.new_database() as url, ExitStack() as stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
        env |= {
            "MATCHER_DATABASE_URL": url,
            "MATCHER_API_KEY": admin["X-API-Key"],
            "MATCHER_CACHE_DIR": str(hashing_cache),
            "MATCHER_PROFILES_PATH": str(few_profiles),
        }
        # Rate limits per client address that no test reaches: every request here is from 127.0.0.1.
        env |= {f"MATCHER_RATE_LIMIT_{n}": "1000000/minute" for n in ("MATCH", "INQUIRIES", "TRIAGE", "WRONG_KEY")}
        started = [stack.enter_context(_replica(name, env, tmp_path, admin)) for name in "abc"]
        for replica in started:  # they start together, creating the schema at once
            replica.wait_ready()
        yield started


def test_a_decision_through_one_replica_is_everywhere_at_once_and_learned_within_seconds(replicas):
    a, b, c = replicas
    before = a.n_feedback()
    score_before = a.scores(FORKLIFTS)["construction"]
    inquiry = a.http.post("/v1/inquiries", json={"text": FORKLIFTS}).json()
    waiting = b.http.post("/v1/inquiries", json={"text": BREAD}).json()
    assert waiting["status"] == "needs_review"

    # Written through one replica, in the others' lists at once: the database is the only state.
    for replica in (a, c):
        queue = replica.http.get("/v1/inquiries", params={"status": "needs_review"}).json()
        assert waiting["id"] in [i["id"] for i in queue["data"]]
        assert replica.http.get(f"/v1/inquiries/{inquiry['id']}").json()["text"] == FORKLIFTS

    decided = b.http.post(f"/v1/inquiries/{waiting['id']}/decision", json={"clusters": []})
    assert decided.status_code == 200
    correction = {"clusters": ["construction", "maritime"]}
    assert c.http.post(f"/v1/inquiries/{inquiry['id']}/decision", json=correction).status_code == 200
    for replica in (a, b, c):
        queue = replica.http.get("/v1/inquiries", params={"status": "needs_review"}).json()
        assert waiting["id"] not in [i["id"] for i in queue["data"]]
        decided_ids = [i["id"] for i in replica.http.get("/v1/inquiries", params={"status": "decided"}).json()["data"]]
        assert sorted(decided_ids) == sorted([waiting["id"], inquiry["id"]])

    # Learned: c answered once the decision was stored and refits in the background; a and b
    # notice the change within the stale check (2 s) and refit too. Then all three answer alike.
    started = time.monotonic()
    lagging = [a, b, c]
    while lagging:
        assert time.monotonic() - started < 30, f"{[r.name for r in lagging]} never learned the decisions"
        lagging = [r for r in lagging if r.n_feedback() != before + 2]
        for replica in lagging:
            replica.http.post("/v1/match", json={"text": BREAD})  # any request schedules the check
        time.sleep(0.1)
    learned = {r.name: r.scores(FORKLIFTS) for r in replicas}
    assert learned["a"]["construction"] > score_before
    assert learned["a"] == pytest.approx(learned["c"]) and learned["b"] == pytest.approx(learned["c"])


def test_kill_9_of_a_replica_loses_nothing_acknowledged_and_the_others_keep_answering(replicas):
    a, b, c = replicas
    # Acknowledged by a before anything happens to it: inquiries, a decision, feedback.
    first = [a.http.post("/v1/inquiries", json={"text": t}).json() for t in (FORKLIFTS, BREAD)]
    assert a.http.post(f"/v1/inquiries/{first[0]['id']}/decision", json={"clusters": ["maritime"]}).status_code == 200
    added = a.http.post("/v1/feedback", json={"text": "Stocznia remontowa w Gdańsku.", "labels": ["maritime"]})
    assert added.status_code == 201

    acknowledged: dict[int, str] = {i["id"]: i["text"] for i in first}
    refused: dict[str, list[str]] = {"a": [], "b": [], "c": []}
    counts = {"a": 0, "b": 0, "c": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def keep_writing(replica: Replica) -> None:
        """Inquiries through one replica until told to stop, or until its replica is gone."""
        for i in range(2000):
            if stop.is_set():
                return
            text = f"Inquiry {i} through {replica.name}: we service offshore wind turbines in the Baltic."
            try:
                response = replica.http.post("/v1/inquiries", json={"text": text})
            except httpx.TransportError as exc:  # in flight when its replica died, or sent after
                refused[replica.name].append(type(exc).__name__)
                if replica.process.poll() is not None:
                    return
                continue
            with lock:
                if response.status_code == 201:
                    acknowledged[response.json()["id"]] = text
                    counts[replica.name] += 1
                else:
                    refused[replica.name].append(f"{response.status_code}: {response.text[:200]}")

    writers = [threading.Thread(target=keep_writing, args=(r,), daemon=True) for r in replicas]
    for w in writers:
        w.start()
    try:
        _wait_for(lambda: counts["a"] >= 20, "a acknowledged 20 inquiries")
        a.kill()
        killed_at = dict(counts)
        _wait_for(lambda: min(counts["b"] - killed_at["b"], counts["c"] - killed_at["c"]) >= 20, "b and c went on")
    finally:
        stop.set()
        for w in writers:
            w.join(timeout=60)

    assert refused["b"] == [] and refused["c"] == [], refused  # not one request to b or c failed
    assert a.process.returncode == -signal.SIGKILL
    # Every acknowledged inquiry is in the database, read through each survivor.
    for replica in (b, c):
        stored = _all_inquiries(replica)
        missing = {i: t for i, t in acknowledged.items() if stored.get(i) != t}
        assert not missing, f"{replica.name} lacks {len(missing)} acknowledged inquiries"
    decided = c.http.get(f"/v1/inquiries/{first[0]['id']}").json()
    assert (decided["status"], decided["officer_clusters"]) == ("decided", ["maritime"])
    feedback = b.http.get("/v1/feedback").json()["data"]
    assert [(f["source"], f["labels"]) for f in feedback] == [("officer", ["maritime"]), ("api", ["maritime"])]
    # The dead replica holds no lock: the survivors still decide and add feedback (each takes one).
    assert b.http.post(f"/v1/inquiries/{first[1]['id']}/decision", json={"clusters": []}).status_code == 200
    more = c.http.post("/v1/feedback", json={"text": "Piekarnia w Sopocie.", "labels": ["none"]})
    assert more.status_code == 201


def _wait_for(condition, what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.01)


def _all_inquiries(replica: Replica) -> dict[int, str]:
    found: dict[int, str] = {}
    while True:
        page = replica.http.get("/v1/inquiries", params={"limit": 500, "offset": len(found)}).json()["data"]
        found |= {i["id"]: i["text"] for i in page}
        if len(page) < 500:
            return found
