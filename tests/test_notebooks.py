"""Every notebook runs headless from top to bottom, so none of them rots."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from matcher.config import CHECK_SETS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHER_REPORTS_DIR", str(tmp_path))
    monkeypatch.setenv("NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nb = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit notebooks stripped"
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    if path.name.startswith("01-"):
        summary = json.loads((tmp_path / "evaluation.json").read_text())
        assert 0.0 <= summary["test"]["overall"]["top1"] <= 1.0
        assert {p["per_cluster"] for p in summary["learning_curve"]} == {0, 2, 5, 10, 20}
        assert len(CHECK_SETS) >= 5
        assert [g["set"] for g in summary["feedback"]] == [name for name in CHECK_SETS for _ in range(2)]
        for name in ("confusion-matrix.png", "reliability.png", "learning-curve.png", "embedding-map.png"):
            assert (tmp_path / "figures" / name).read_bytes()[:4] == b"\x89PNG"
