"""Fixtures for the service tests: a temporary database per test, apps with the fast matcher, a live server.

Helpers are handed out as fixtures (``admin``, ``make_settings``, ``running``, ``live_server``) because
test modules cannot import this conftest under ``--import-mode=importlib``.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcher import LabelledProfile, Matcher
from matcher.encoders import Encoder
from matcher.profiles import by_split
from matcher.store import Store
from service.main import create_app
from service.settings import ServiceSettings
from service.state import MatcherFactory, fit_matcher

ADMIN_KEY = "test-admin-key"
ADMIN = {"X-API-Key": ADMIN_KEY}
#: Rate limits no test reaches by chance (every TestClient is one address); tests of the limits set their own.
UNREACHED_RATE_LIMITS = dict.fromkeys(
    ("rate_limit_match", "rate_limit_inquiries", "rate_limit_triage", "rate_limit_wrong_key"), "1000000/minute"
)


def make_settings(tmp_path: Path, **overrides: object) -> ServiceSettings:
    """ServiceSettings for one test: its own SQLite file and cache, an admin key, rate limits it does not
    reach, nothing from the environment."""
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp_path / 'matcher.db'}",
        "cache_dir": tmp_path / "cache",
        "api_key": ADMIN_KEY,
        **UNREACHED_RATE_LIMITS,
        **overrides,
    }
    return ServiceSettings(_env_file=None, **values)  # type: ignore[call-arg]


def wait_ready(client: TestClient | httpx.Client, timeout: float = 60.0) -> None:
    """Poll ``/readyz`` until the matcher is loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.02)
    raise AssertionError(f"the service was not ready within {timeout} s")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> ServiceSettings:
    """The test's settings; its database is a SQLite file, or for a test marked ``both_databases``
    each database in turn (see ``database_url`` in tests/conftest.py)."""
    return make_settings(tmp_path, database_url=database_url)


@pytest.fixture
def fixed_factory(small_matcher: Matcher) -> MatcherFactory:
    """Always the session's small matcher: instant, but a refit learns nothing."""
    return lambda settings, store, encoders: small_matcher


@pytest.fixture(scope="session")
def hashing_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hashing-cache")


@pytest.fixture(scope="session")
def few_profiles(tmp_path_factory: pytest.TempPathFactory, profiles: list[LabelledProfile]) -> Path:
    """A quarter of the train and dev profiles: learning tests refit often, and fitting scales with them."""
    path = tmp_path_factory.mktemp("profiles") / "few.jsonl"
    kept = [*by_split(profiles, "train")[::4], *by_split(profiles, "dev")[::4]]
    path.write_text("".join(json.dumps(dataclasses.asdict(p), ensure_ascii=False) + "\n" for p in kept), "utf-8")
    return path


@pytest.fixture
def learning_factory(hashing_encoder: Encoder, hashing_cache: Path, few_profiles: Path) -> MatcherFactory:
    """The service's real factory with the hashing encoder: refits learn from the store (a second or two)."""

    def factory(settings: ServiceSettings, store: Store, encoders: Sequence[Encoder] | None) -> Matcher:
        fast = settings.model_copy(update={"cache_dir": hashing_cache, "profiles_path": few_profiles})
        return fit_matcher(fast, store, [hashing_encoder])

    return factory


@contextmanager
def running(app: FastAPI) -> Iterator[TestClient]:
    """A test client with the lifespan running and the matcher loaded."""
    with TestClient(app) as client:
        wait_ready(client)
        yield client


@pytest.fixture
def client(settings: ServiceSettings, fixed_factory: MatcherFactory) -> Iterator[TestClient]:
    with running(create_app(settings, matcher_factory=fixed_factory)) as c:
        yield c


@pytest.fixture
def learning_client(settings: ServiceSettings, learning_factory: MatcherFactory) -> Iterator[TestClient]:
    with running(create_app(settings, matcher_factory=learning_factory)) as c:
        yield c


@contextmanager
def serve_live(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free 127.0.0.1 port in a background thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            _wait_listening(server)
            wait_ready(http, timeout=300)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _wait_listening(server: uvicorn.Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start")
        time.sleep(0.02)


def learned(client: TestClient, timeout: float = 60.0) -> None:
    """Wait until the app's background refits are done: a write is acknowledged before it is learned."""
    assert client.app_state["runtime"].holder.wait_idle(timeout), f"the refit did not end within {timeout} s"


@pytest.fixture(name="learned", scope="session")
def learned_fixture() -> Callable[..., None]:
    return learned


@pytest.fixture(name="admin", scope="session")
def admin_fixture() -> dict[str, str]:
    """Headers with the admin key the test settings configure."""
    return dict(ADMIN)


@pytest.fixture(name="make_settings")
def make_settings_fixture(tmp_path: Path, database_url: str) -> Callable[..., ServiceSettings]:
    """:func:`make_settings` on the test's database (``database_url``) unless the caller names another."""
    return lambda **overrides: make_settings(tmp_path, **{"database_url": database_url, **overrides})


@pytest.fixture(name="settings_in", scope="session")
def settings_in_fixture() -> Callable[..., ServiceSettings]:
    """:func:`make_settings` for a folder of the caller's choosing (module-scoped apps)."""
    return make_settings


@pytest.fixture(name="running", scope="session")
def running_fixture() -> Callable[[FastAPI], AbstractContextManager[TestClient]]:
    return running


@pytest.fixture(name="live_server", scope="session")
def live_server_fixture() -> Callable[[FastAPI], AbstractContextManager[str]]:
    return serve_live
