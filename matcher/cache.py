"""On-disk cache of embeddings, keyed by model name and the exact texts embedded."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matcher.encoders import Encoder


def _key(model: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256(model.encode())
    for t in texts:
        h.update(b"\x00")
        h.update(t.encode())
    return h.hexdigest()[:32]


class EmbeddingCache:
    """Stores each (model, texts) embedding matrix as one ``.npy`` file under ``directory``.

    A catalogue edit changes the texts and therefore the key, so a stale matrix is never read.
    ``directory=None`` keeps nothing on disk.
    """

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if self.directory is None or not texts:
            return encoder.encode(texts)
        path = self.directory / f"{_key(encoder.name, texts)}.npy"
        if path.exists():
            try:
                cached = np.load(path)
                if cached.shape[0] == len(texts):
                    return cached
            except (OSError, ValueError):
                pass  # a torn or foreign file: re-embed and overwrite it
        emb = encoder.encode(texts)
        self._write(path, emb)
        return emb

    def _write(self, path: Path, emb: np.ndarray) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, emb)
            os.replace(tmp, path)  # atomic: concurrent workers never read half a file
        except OSError:
            pass  # a read-only cache only costs speed
