"""On-disk cache of embeddings, keyed by model name and the exact texts embedded."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from matcher.encoders import Encoder

#: The embedding files kept on disk, most recently used first. Every new state of the feedback
#: or the catalogue writes new pool matrices (some 4 MB), so without a bound the folder grew
#: by 290 MB in half an hour of an officer's decisions.
MAX_BYTES = 512 * 2**20


def _key(model: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256(model.encode())
    for t in texts:
        h.update(b"\x00")
        h.update(t.encode())
    return h.hexdigest()[:32]


class EmbeddingCache:
    """Embeddings by (model, text): in memory for the process, and on disk by whole text list.

    On disk each (model, texts) matrix is one ``.npy`` file under ``directory``: a catalogue edit
    changes the texts and therefore the key, so a stale matrix is never read. In memory single
    texts are remembered, so adding one feedback profile embeds one text, not the whole pool.
    ``directory=None`` keeps nothing on disk. Use :meth:`shared` to get one instance per folder,
    and :meth:`prune` to keep the folder within a size.
    """

    _instances: dict[str, EmbeddingCache] = {}

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._memory: dict[tuple[str, str], np.ndarray] = {}

    @classmethod
    def shared(cls, directory: str | Path | None) -> EmbeddingCache:
        key = str(Path(directory).resolve()) if directory is not None else ""
        if key not in cls._instances:
            cls._instances[key] = cls(directory)
        return cls._instances[key]

    def encode(self, encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return encoder.encode(texts)
        path = self.directory / f"{_key(encoder.name, texts)}.npy" if self.directory is not None else None
        if path is not None and path.exists():
            try:
                cached = np.load(path)
                if cached.shape[0] == len(texts):
                    self._remember(encoder.name, texts, cached)
                    with contextlib.suppress(OSError):  # recently used: kept by prune()
                        os.utime(path)
                    return np.asarray(cached)
            except (OSError, ValueError, EOFError):
                pass  # a torn or foreign file: re-embed and overwrite it
        missing = list(dict.fromkeys(t for t in texts if (encoder.name, t) not in self._memory))
        if missing:
            self._remember(encoder.name, missing, encoder.encode(missing))
        emb = np.stack([self._memory[(encoder.name, t)] for t in texts])
        if path is not None:
            self._write(path, emb)
        return emb

    def prune(self, max_bytes: int = MAX_BYTES) -> int:
        """Delete the least recently used embedding files beyond ``max_bytes``; returns how many.

        Reading a file marks it as used, so the current catalogue's and feedback's stay.
        """
        if self.directory is None:
            return 0
        return prune_least_recent(self.directory.glob("*.npy"), max_bytes=max_bytes)

    def _remember(self, model: str, texts: list[str], emb: np.ndarray) -> None:
        for t, row in zip(texts, emb, strict=True):
            self._memory[(model, t)] = row

    def _write(self, path: Path, emb: np.ndarray) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.save(f, emb)
            os.replace(tmp, path)  # atomic: concurrent workers never read half a file
        except OSError:
            pass  # a read-only cache only costs speed


def prune_least_recent(paths: Iterable[Path], *, keep: int | None = None, max_bytes: int | None = None) -> int:
    """Delete all but the most recently used (modified) of ``paths``: at most ``keep`` files and
    ``max_bytes`` in all are kept. Returns how many were deleted. Files that vanish meanwhile (another
    worker pruning too) or cannot be deleted are passed over."""
    files = []
    for path in paths:
        with contextlib.suppress(OSError):
            st = path.stat()
            files.append((st.st_mtime, st.st_size, path))
    files.sort(key=lambda f: f[0], reverse=True)
    total, deleted = 0, 0
    for i, (_, size, path) in enumerate(files):
        total += size
        if (keep is not None and i >= keep) or (max_bytes is not None and total > max_bytes):
            with contextlib.suppress(OSError):
                path.unlink()
                deleted += 1
    return deleted


class MemoEncoder:
    """Wraps an encoder and remembers every text it embedded (for experiments that re-match the same texts)."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.name = encoder.name
        self._memo = EmbeddingCache(None)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._memo.encode(self.encoder, texts)
