"""Tests for service/settings.py (and the library settings it extends): defaults, MATCHER_* overrides, validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, VAR_DIR
from service.settings import ServiceSettings

pytestmark = pytest.mark.usefixtures("clean_environment")


def test_defaults() -> None:
    s = ServiceSettings()
    assert s.database_url.startswith("sqlite:///")
    db_file = Path(s.database_url.removeprefix("sqlite:///"))
    assert db_file.parent == VAR_DIR
    assert db_file.suffix == ".db"
    assert s.cache_dir == CACHE_DIR
    assert s.api_key is None
    assert s.host == "127.0.0.1"
    assert s.port == 8000
    assert s.workers == 1
    assert s.encoders == DEFAULT_ENCODERS
    assert s.catalogue_path == CATALOGUE_PATH


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MATCHER_DATABASE_URL", "postgresql+psycopg://u:p@db/matcher")
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path / "emb"))
    monkeypatch.setenv("MATCHER_API_KEY", "s3cret")
    monkeypatch.setenv("MATCHER_HOST", "0.0.0.0")
    monkeypatch.setenv("MATCHER_PORT", "9001")
    monkeypatch.setenv("MATCHER_WORKERS", "3")
    s = ServiceSettings()
    assert s.database_url == "postgresql+psycopg://u:p@db/matcher"
    assert s.cache_dir == tmp_path / "emb"
    assert s.api_key is not None and s.api_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)
    assert s.host == "0.0.0.0"
    assert s.port == 9001
    assert s.workers == 3


def test_lowercase_variable_names_work_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("matcher_port", "8123")
    assert ServiceSettings().port == 8123


def test_empty_variable_means_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_API_KEY", "")
    monkeypatch.setenv("MATCHER_PORT", "")
    s = ServiceSettings()
    assert s.api_key is None
    assert s.port == 8000


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MATCHER_PORT=8765\nMATCHER_API_KEY=from-dotenv\n", encoding="utf-8")
    s = ServiceSettings()
    assert s.port == 8765
    assert s.api_key is not None and s.api_key.get_secret_value() == "from-dotenv"


def test_environment_beats_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("MATCHER_PORT=8765\n", encoding="utf-8")
    monkeypatch.setenv("MATCHER_PORT", "9000")
    assert ServiceSettings().port == 9000


def test_arguments_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_PORT", "9000")
    assert ServiceSettings(port=9100).port == 9100


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a, b", ("a", "b")),
        ("use-multilingual-v3", ("use-multilingual-v3",)),
        (" a ,b, ,c ", ("a", "b", "c")),
        (
            "/models/my-model, paraphrase-multilingual-MiniLM-L12-v2",
            ("/models/my-model", "paraphrase-multilingual-MiniLM-L12-v2"),
        ),
    ],
)
def test_encoders_from_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: tuple[str, ...]
) -> None:
    monkeypatch.setenv("MATCHER_ENCODERS", value)
    assert ServiceSettings().encoders == expected


@pytest.mark.parametrize("value", [",", " , ", " ,, "])
def test_empty_encoders_rejected_from_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MATCHER_ENCODERS", value)
    with pytest.raises(ValidationError, match="at least one encoder"):
        ServiceSettings()


@pytest.mark.parametrize("value", ["", (), []])
def test_empty_encoders_rejected_as_argument(value: object) -> None:
    with pytest.raises(ValidationError, match="at least one encoder"):
        ServiceSettings(encoders=value)


def test_encoders_as_a_list_argument() -> None:
    assert ServiceSettings(encoders=["x", "y"]).encoders == ("x", "y")


@pytest.mark.parametrize("value", ["0", "-1", "65536", "70000", "http", "80.5"])
def test_invalid_port_rejected(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MATCHER_PORT", value)
    with pytest.raises(ValidationError, match="port"):
        ServiceSettings()


@pytest.mark.parametrize("value", ["1", "65535"])
def test_port_bounds_accepted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MATCHER_PORT", value)
    assert ServiceSettings().port == int(value)


def test_unknown_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_NOT_A_SETTING", "x")
    assert not hasattr(ServiceSettings(), "not_a_setting")


def test_anonymous_work_is_limited_by_default() -> None:
    s = ServiceSettings()
    assert s.anonymous_max_batch == 20 < s.max_batch
    assert (s.rate_limit_match, s.rate_limit_inquiries, s.rate_limit_triage, s.rate_limit_wrong_key) == (
        "60/minute",
        "5/minute;20/hour",
        "10/minute",
        "10/15 minutes",
    )


def test_rate_limits_from_the_environment_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_RATE_LIMIT_MATCH", "600 per minute; 20/second")
    assert ServiceSettings().rate_limit_match == "600 per minute; 20/second"
    monkeypatch.setenv("MATCHER_RATE_LIMIT_TRIAGE", "lots")
    with pytest.raises(ValidationError, match="'lots' is not a rate limit such as '60/minute'"):
        ServiceSettings()
