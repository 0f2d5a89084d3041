"""Building the matcher the CLI and the service use: catalogue edits and feedback from the store.

A fitted matcher is also kept on disk (``<cache_dir>/fitted/``), keyed by everything it was fitted
from: the catalogue, the labelled-profile file, the feedback, the encoders and the library
version. A restart with nothing changed then skips the fit, and so does a refit that returns to a
state fitted before. Each one is some 15 MB and every decision makes a new one, so only the
:data:`FITTED_KEEP` most recently used are kept. The start of that key is the matcher's
``provenance_["fitted_state"]``: every answer says which fitted state made it.

A fit compares every training text with every pooled example, so its time and memory grow with the
square of the feedback; at most :data:`MAX_FEEDBACK` feedback profiles, the most recent, are learned
from (``bench/refit.py`` measures it; ``bench/results/refit.md``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import pickle
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from matcher._version import __version__
from matcher.cache import EmbeddingCache, prune_least_recent
from matcher.catalogue import Catalogue, load_catalogue
from matcher.config import CACHE_DIR, CATALOGUE_PATH, DEFAULT_ENCODERS, PROFILES_PATH, UNCLEAR_PATH
from matcher.encoders import Encoder, load_encoder, warm_up
from matcher.estimator import Matcher
from matcher.profiles import distinct_profiles
from matcher.text import load_language_model
from matcher.types import LabelledProfile

if TYPE_CHECKING:
    from matcher.store import Store

log = logging.getLogger(__name__)

#: Fitted matchers kept on disk: the current one and a few before it (a withdrawn correction
#: returns to one of them without a refit). 127 had piled up here, 2 GB, before this bound.
FITTED_KEEP = 6
#: The most feedback profiles (distinct text and labels, the most recent) a fit learns from.
#: Measured with the default models (bench/results/refit.md): a refit took 2.2 s with no feedback
#: and 2.8 s with 1,000; unbounded, 26 s (2.3 GB peak) with 5,000 and 50 s (5.8 GB) with 10,000;
#: bounded to 2,000, 7-8 s (1.1 GB) with 5,000 or 10,000 stored.
MAX_FEEDBACK = 2_000
#: Hex digits of the fitted-state hash that answers carry.
FITTED_STATE_CHARS = 12


def load_encoders(
    names: Sequence[str] = DEFAULT_ENCODERS, *, backend: str = "onnx", cache_dir: str | Path = CACHE_DIR
) -> list[Encoder]:
    """The named models (not loaded yet: each loads on first use or by :func:`warm_up`)."""
    return [load_encoder(name, backend=backend, cache_dir=cache_dir) for name in names]


def effective_catalogue(store: Store | None, catalogue_path: str | Path = CATALOGUE_PATH) -> Catalogue:
    """The bundled catalogue with the store's edits applied."""
    catalogue = load_catalogue(catalogue_path)
    return store.apply_edits(catalogue) if store is not None else catalogue


def build_matcher(
    store: Store | None,
    *,
    encoders: Sequence[str | Encoder] = DEFAULT_ENCODERS,
    backend: str = "onnx",
    cache_dir: str | Path = CACHE_DIR,
    catalogue_path: str | Path = CATALOGUE_PATH,
    profiles_path: str | Path = PROFILES_PATH,
    max_feedback: int | None = MAX_FEEDBACK,
) -> Matcher:
    """The labelled profiles' train split plus the store's feedback as examples, dev for calibration.

    ``encoders`` are model names, or models already loaded (a refit then loads nothing again).
    Of the feedback, the ``max_feedback`` most recent distinct profiles are learned from (``None``:
    all of them; see :data:`MAX_FEEDBACK`). The matcher's ``provenance_`` names its fitted state
    (``fitted_state``, a short hash of everything it was fitted from).
    """
    sources = _Sources(Path(cache_dir), Path(catalogue_path), Path(profiles_path), max_feedback)
    if all(not isinstance(e, str) for e in encoders):
        return _build(sources, store, [e for e in encoders if not isinstance(e, str)])
    # First load: the models load in a background thread while the matcher is fitted (or read from
    # its cache), so start-up pays for the slower of the two, not for both.
    if all(isinstance(e, str) for e in encoders):
        models = load_encoders([str(e) for e in encoders], backend=backend, cache_dir=cache_dir)
    else:
        models = [load_encoder(e, backend=backend, cache_dir=cache_dir) if isinstance(e, str) else e for e in encoders]
    log.info("loading the models in the background: %s", ", ".join(m.name for m in models))
    failures: list[Exception] = []
    loading = threading.Thread(target=_warm_up_into, args=(models, failures), name="models-load", daemon=True)
    loading.start()
    try:
        matcher = _build(sources, store, models)
        load_language_model()  # beside the models too, rather than in the first match
    finally:
        loading.join()
    if failures:  # a fitted matcher read from the cache never encodes: the warm-up is the first to know
        raise failures[0]
    return matcher


@dataclass(frozen=True, slots=True)
class _Sources:
    cache_dir: Path
    catalogue_path: Path
    profiles_path: Path
    max_feedback: int | None = MAX_FEEDBACK


def _warm_up_into(models: list[Encoder], failures: list[Exception]) -> None:
    """:func:`warm_up` in a thread: a model that fails to load is handed back, not printed."""
    try:
        warm_up(models)
    except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
        failures.append(exc)


def recent_feedback(feedback: Sequence[LabelledProfile], limit: int | None) -> list[LabelledProfile]:
    """The ``limit`` most recent distinct (text, labels) of ``feedback`` (given oldest first, as
    :meth:`matcher.store.Store.feedback_profiles` gives it), oldest first; all of it for ``None``."""
    if limit is None or len(feedback) <= limit:
        return list(feedback)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    recent: list[LabelledProfile] = []
    for p in reversed(feedback):
        if len(recent) == limit:
            break
        if (p.text, p.labels) not in seen:
            seen.add((p.text, p.labels))
            recent.append(p)
    return recent[::-1]


def _build(sources: _Sources, store: Store | None, encs: list[Encoder]) -> Matcher:
    stored = store.feedback_profiles() if store is not None else []
    feedback = recent_feedback(stored, sources.max_feedback)
    n_stored = len(stored) if len(feedback) < len(stored) else None  # said when not all is learned from
    if n_stored is not None:
        log.warning(
            "learning from the %d most recent of %d feedback profiles (at most %s)",
            len(feedback),
            len(stored),
            sources.max_feedback,
        )
    catalogue = effective_catalogue(store, sources.catalogue_path)
    key = _fitted_key(sources, catalogue, feedback, encs)
    path = sources.cache_dir / "fitted" / f"matcher-{key[:32]}.pkl"
    cached = _load_fitted(path, encs)
    if cached is not None:
        log.info("fitted matcher read from the cache (%s)", path.name)
        return _stamp(cached, key, n_stored)
    log.info(
        "fitting the matcher on %d feedback profiles: embedding the catalogue and the labelled profiles"
        " (several minutes on a first start: about a tenth of a second a text for e5; cached afterwards)...",
        len(feedback),
    )
    matcher = Matcher.from_defaults(
        catalogue=catalogue,
        profiles=sources.profiles_path,
        feedback=feedback,
        encoders=encs,
        cache_dir=sources.cache_dir,
    )
    _save_fitted(path, _stamp(matcher, key, n_stored))
    EmbeddingCache.shared(sources.cache_dir).prune()  # the fit may have written new pool matrices
    return matcher


def _stamp(matcher: Matcher, key: str, n_stored: int | None) -> Matcher:
    """Name the fitted state in the matcher's provenance, with the feedback stored when not all of it
    was learned from (``n_stored``)."""
    stamp: dict[str, object] = {"fitted_state": key[:FITTED_STATE_CHARS]}
    if n_stored is not None:
        stamp["n_feedback_stored"] = n_stored
    matcher.provenance_ = {**matcher.provenance_, **stamp}
    return matcher


def _fitted_key(
    sources: _Sources, catalogue: Catalogue, feedback: list[LabelledProfile], encoders: list[Encoder]
) -> str:
    """A hash (hex) of everything a matcher is fitted from: its on-disk name and its fitted state."""
    h = hashlib.sha256()
    profiles = sources.profiles_path
    parts = {
        "version": __version__,
        "code": _code_fingerprint(),  # a pickled matcher is only read back by the code that wrote it
        "encoders": [e.name for e in encoders],  # the models in hand, whatever the settings say
        "catalogue": catalogue.sha256,
        "profiles": hashlib.sha256(profiles.read_bytes()).hexdigest() if profiles.exists() else None,
        "unclear": hashlib.sha256(UNCLEAR_PATH.read_bytes()).hexdigest() if UNCLEAR_PATH.exists() else None,
        "feedback": [[p.text, list(p.labels)] for p in distinct_profiles(feedback)],  # as the fit takes it
    }
    h.update(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """The sources of the ``matcher`` package: any change to them refits rather than unpickles."""
    h = hashlib.sha256()
    for source in sorted(Path(__file__).parent.glob("*.py")):
        h.update(source.name.encode())
        h.update(source.read_bytes())
    return h.hexdigest()


def _load_fitted(path: Path, encoders: list[Encoder]) -> Matcher | None:
    if not path.exists():
        return None
    try:
        with path.open("rb") as f:
            state = pickle.load(f)  # noqa: S301 - our own cache folder, written below
        matcher = Matcher.__new__(Matcher)
        matcher.__dict__.update(state)
        matcher.bind_encoders(encoders)
    except Exception as exc:  # noqa: BLE001 - a stale or torn cache only costs a refit
        log.warning("ignoring the fitted-matcher cache %s: %s", path, exc)
        return None
    with contextlib.suppress(OSError):  # pruned by another process meanwhile, or a read-only cache
        os.utime(path)  # recently used: kept by the pruning in _save_fitted
    return matcher


def _save_fitted(path: Path, matcher: Matcher) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(matcher.__getstate__(), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not cache the fitted matcher at %s: %s", path, exc)
        return
    prune_least_recent(path.parent.glob("matcher-*.pkl"), keep=FITTED_KEEP)
