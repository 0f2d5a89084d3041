"""Tests for matcher/settings.py: the library's settings and the plain arguments they give."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, PROFILES_PATH
from matcher.settings import Settings

pytestmark = pytest.mark.usefixtures("clean_environment")


def test_library_settings_hold_no_http_settings() -> None:
    s = Settings()
    for http in ("host", "port", "workers", "api_key", "max_body_bytes"):
        assert not hasattr(s, http)


def test_matcher_args_are_what_build_matcher_takes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import inspect

    from matcher.loading import build_matcher

    assert Settings().matcher_args() == {
        "encoders": DEFAULT_ENCODERS,
        "backend": "onnx",
        "cache_dir": CACHE_DIR,
        "catalogue_path": CATALOGUE_PATH,
        "profiles_path": PROFILES_PATH,
    }
    monkeypatch.setenv("MATCHER_ENCODERS", "use-multilingual-v3, all-MiniLM-L6-v2")
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path))
    args = Settings().matcher_args()
    assert args["encoders"] == ("use-multilingual-v3", "all-MiniLM-L6-v2") and args["cache_dir"] == tmp_path
    assert set(args) <= set(inspect.signature(build_matcher).parameters)


def test_no_encoder_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHER_ENCODERS", " , ")
    with pytest.raises(ValidationError, match="at least one encoder"):
        Settings()
