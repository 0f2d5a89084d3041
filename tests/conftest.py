"""Shared fixtures: a fast deterministic encoder for most tests, the real models once per session,
and the store's database (SQLite, or PostgreSQL on a server the session starts)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from matcher import Matcher, load_catalogue, load_profiles  # noqa: E402
from matcher.config import CACHE_DIR  # noqa: E402
from matcher.profiles import by_split  # noqa: E402
from tests import postgres  # noqa: E402


class HashingEncoder:
    """Bag of character trigrams hashed into 512 dimensions: deterministic, instant, no model.

    Similar wording gives similar vectors, which is enough to exercise every code path.
    """

    name = "test-hashing-trigrams"
    dim = 512

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                padded = f" {word} "
                for j in range(len(padded) - 2):
                    h = int.from_bytes(hashlib.blake2b(padded[j : j + 3].encode(), digest_size=4).digest(), "little")
                    out[i, h % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


@pytest.fixture(scope="session")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="session")
def profiles(catalogue):
    return load_profiles(known=catalogue.ids)


@pytest.fixture(scope="session")
def hashing_encoder():
    return HashingEncoder()


@pytest.fixture(scope="session")
def small_matcher(catalogue, profiles, hashing_encoder):
    """A real Matcher fitted on the real data with the hashing encoder: fast, for plumbing tests."""
    return Matcher([hashing_encoder], cache_dir=None).fit(
        catalogue, by_split(profiles, "train"), calibration=by_split(profiles, "dev")
    )


@pytest.fixture(scope="session")
def real_matcher():
    """The default configuration with the real offline models, loaded once per test session.

    Embeddings go to the project's cache (var/cache): keyed by model and text, so sharing it is
    safe, and a second run embeds nothing.
    """
    return Matcher.from_defaults(cache_dir=CACHE_DIR)


# -- the store's database ----------------------------------------------------------------------

#: The databases a test marked ``both_databases`` runs on; ``-m postgresql`` picks the PostgreSQL part.
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``both_databases`` that uses ``database_url`` runs once on each database."""
    if "database_url" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_databases"):
        metafunc.parametrize("database_url", DATABASES, indirect=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of the session's own (see tests/postgres.py); skipped without its binaries,
    except in CI, which installs them: there a missing server fails rather than hides the tests."""
    try:
        server = postgres.start()
    except postgres.Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the PostgreSQL tests, but: {exc}")
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path):
    """The store's URL for one test: a new SQLite file, or for the ``postgresql`` variant of a test
    marked ``both_databases`` a new database on the session's server (dropped after the test)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'matcher.db'}"
        return
    server = request.getfixturevalue("postgres_server")
    with server.new_database() as url:
        yield url


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No MATCHER_* variable from the caller and no stray .env file in the working directory."""
    for name in list(os.environ):
        if name.upper().startswith("MATCHER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
