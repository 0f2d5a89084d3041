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


def _import_graph(package: str) -> dict[str, set[str]]:
    """Which of ``package``'s modules each of its modules imports, read from the source (every import
    statement, at any depth: a lazy import inside a function and one under TYPE_CHECKING count too)."""
    import ast

    root = PROJ_ROOT / package
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(PROJ_ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets.add(node.module)
                targets |= {f"{node.module}.{a.name}" for a in node.names}
        graph[name] = targets
    return {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first walk (each reported once, from where the walk entered it).

    A package's ``__init__`` re-exporting its own submodules is not a cycle of ideas, so edges
    from a package into its own submodules are left out.
    """
    edges = {m: {t for t in ts if not t.startswith(f"{m}.")} for m, ts in graph.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in sorted(edges[m]):
            if state.get(t) == 1:
                found.append([*path[path.index(t) :], t])
            elif t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"p": {"p.x"}, "p.x": {"q"}, "q": set()}) == []


@pytest.mark.parametrize("package", ["matcher", "service"])
def test_no_import_cycle(package: str) -> None:
    graph = _import_graph(package)
    assert len(graph) > 5 and any(graph.values())  # the graph was read
    assert _cycles(graph) == []


def test_matcher_never_imports_service() -> None:
    graph = _import_graph("matcher")
    import ast

    for path in (PROJ_ROOT / "matcher").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n.split(".")[0] in ("service", "fastapi")], path
    assert graph  # the files were read
