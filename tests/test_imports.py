"""`import matcher` stays light: no web framework, no database layer, no torch, nothing from service/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJ_ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "sentence_transformers", "torch", "service")

_PROBE = """
import json, sys
import matcher
{extra}
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after(extra: str = "") -> list[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(extra=extra)],
        cwd=PROJ_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _forbidden(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in FORBIDDEN]


@pytest.fixture(scope="module")
def modules_after_import() -> list[str]:
    return _modules_after()


def test_the_probe_sees_matcher(modules_after_import: list[str]) -> None:
    assert "matcher" in modules_after_import
    assert "matcher.estimator" in modules_after_import


@pytest.mark.parametrize("top", FORBIDDEN)
def test_import_matcher_does_not_import(modules_after_import: list[str], top: str) -> None:
    assert [m for m in modules_after_import if m == top or m.startswith(f"{top}.")] == []


def test_public_api_use_stays_light() -> None:
    """Touching the public names (not calling the models) pulls in nothing heavy either."""
    extra = "from matcher import *\nfrom matcher import Matcher\nMatcher(cache_dir=None).get_params()"
    assert _forbidden(_modules_after(extra)) == []
