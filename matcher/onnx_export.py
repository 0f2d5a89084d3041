"""Export a sentence-transformers model to ONNX once, so it runs later without torch.

Only the export imports torch and transformers; it runs the first time a model is used with the
``onnx`` backend and writes ``model.onnx`` (and ``model.int8.onnx`` when asked) under the cache
folder, keyed by the model's files. Every later start loads the file with ONNX Runtime.

Supported: models whose sentence-transformers pipeline is a transformer, mean pooling and an
optional normalisation (all-MiniLM-L6-v2, paraphrase-multilingual-MiniLM-L12-v2, and most
``sentence-transformers/*`` models). :func:`onnx_compatible` says whether a folder qualifies.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

#: Bump when the exported graph changes (inputs, opset, quantisation recipe).
EXPORT_VERSION = "1"
OPSET = 17


def onnx_compatible(model_dir: Path) -> bool:
    """True when ``model_dir`` is a local sentence-transformers model with mean pooling."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or any(k not in ("Transformer", "Pooling", "Normalize") for k in kinds):
        return False
    pooling = next((m for m in modules if m.get("type", "").endswith("Pooling")), None)
    if pooling is None:
        return False
    try:
        config = json.loads((model_dir / pooling.get("path", "1_Pooling") / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    modes = [k for k, v in config.items() if k.startswith("pooling_mode") and v]
    return modes == ["pooling_mode_mean_tokens"] and (model_dir / "tokenizer.json").is_file()


def max_seq_length(model_dir: Path, default: int = 256) -> int:
    """The truncation length sentence-transformers uses for this model."""
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length") or default)
    except (OSError, ValueError, TypeError):
        return default


def _fingerprint(model_dir: Path) -> str:
    """Names, sizes and modification times of the model's files: changes when the model does."""
    h = hashlib.sha256(f"{EXPORT_VERSION}:{OPSET}".encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        h.update(f"{path.relative_to(model_dir)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _atomic_target(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    return Path(tmp)


def export(model_dir: Path, target: Path) -> None:
    """Trace the transformer of ``model_dir`` to ``target`` (last hidden state, dynamic batch and length)."""
    import torch
    from transformers import AutoModel

    base = AutoModel.from_pretrained(str(model_dir)).eval()

    class _HiddenState(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    ids = torch.ones(2, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = _atomic_target(target)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer notes about Python branches on shapes
            torch.onnx.export(
                _HiddenState(base),
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(tmp),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=OPSET,
                dynamo=False,
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the matrix products, per output channel (keeps cosine ~0.99)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = _atomic_target(target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul"]
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def ensure_onnx(model_dir: Path, cache_dir: Path, *, int8: bool = False) -> Path:
    """The ONNX file for ``model_dir`` in ``cache_dir``, exported (and quantised) on first use."""
    folder = Path(cache_dir) / "onnx" / f"{model_dir.name}-{_fingerprint(model_dir)}"
    fp32 = folder / "model.onnx"
    if not fp32.is_file():
        export(model_dir, fp32)
    if not int8:
        return fp32
    q = folder / "model.int8.onnx"
    if not q.is_file():
        quantize(fp32, q)
    return q
