"""matcher.__all__ lists exactly the public names of the package (httpx's test_exported_members)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

import matcher

INCLUDED_PRIVATE_MEMBERS = {"__version__"}


def _public_names() -> set[str]:
    return {
        name
        for name, value in vars(matcher).items()
        if (not name.startswith("_") or name in INCLUDED_PRIVATE_MEMBERS)
        and not isinstance(value, ModuleType)  # submodules become attributes once imported
        and name != "annotations"  # left by `from __future__ import annotations`
    }


def test_all_imports_are_exported() -> None:
    assert set(matcher.__all__) == _public_names()


def test_all_has_no_repeats() -> None:
    assert len(matcher.__all__) == len(set(matcher.__all__))


@pytest.mark.parametrize("name", matcher.__all__)
def test_each_exported_name_is_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from matcher import {name}", namespace)  # the statement a user would write
    assert namespace[name] is getattr(importlib.import_module("matcher"), name)


@pytest.mark.parametrize("name", [n for n in matcher.__all__ if n != "__version__"])
def test_each_exported_object_comes_from_matcher(name: str) -> None:
    assert getattr(matcher, name).__module__.startswith("matcher.")


def test_version_is_a_string() -> None:
    assert isinstance(matcher.__version__, str) and matcher.__version__
