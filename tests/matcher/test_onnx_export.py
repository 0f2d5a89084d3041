"""ONNX export: which models qualify, where the file goes, and that it is made once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from matcher import onnx_export
from matcher.encoders import resolve_model

BUNDLED = Path(resolve_model("all-MiniLM-L6-v2"))


def test_the_bundled_minilm_qualifies_and_truncates_like_sentence_transformers():
    assert onnx_export.onnx_compatible(BUNDLED)
    assert (
        onnx_export.max_seq_length(BUNDLED)
        == json.loads((BUNDLED / "sentence_bert_config.json").read_text())["max_seq_length"]
    )


def _copy_without_weights(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(BUNDLED, target, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    return target


def test_cls_pooling_or_a_missing_folder_does_not_qualify(tmp_path):
    model = _copy_without_weights(tmp_path)
    config = model / "1_Pooling" / "config.json"
    pooling = json.loads(config.read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    config.write_text(json.dumps(pooling))
    assert not onnx_export.onnx_compatible(model)
    assert not onnx_export.onnx_compatible(tmp_path / "nowhere")
    assert onnx_export.max_seq_length(tmp_path / "nowhere") == 256


def test_export_runs_once_per_model_and_again_when_the_model_changes(tmp_path, monkeypatch):
    model = _copy_without_weights(tmp_path)
    exported = []

    def fake_export(model_dir, target):
        exported.append(model_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"onnx")

    monkeypatch.setattr(onnx_export, "export", fake_export)
    first = onnx_export.ensure_onnx(model, tmp_path / "cache")
    assert first.read_bytes() == b"onnx" and first.is_relative_to(tmp_path / "cache" / "onnx")
    assert onnx_export.ensure_onnx(model, tmp_path / "cache") == first and len(exported) == 1
    (model / "config.json").write_text((model / "config.json").read_text() + "\n")
    assert onnx_export.ensure_onnx(model, tmp_path / "cache") != first and len(exported) == 2


@pytest.mark.slow
def test_a_real_export_loads_in_onnx_runtime(tmp_path):
    import onnxruntime as ort

    path = onnx_export.ensure_onnx(BUNDLED, tmp_path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask", "token_type_ids"]
    assert not list(tmp_path.rglob("*.tmp"))
