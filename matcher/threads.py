"""How the matcher uses two cores: thread counts, encodes side by side, numpy's BLAS.

Measured on the 2-core machine this was built for (see ``bench/README.md``): one profile gains
little from a second thread, an idle thread that spins slows the next model down, and batches
gain from every core. So: a few texts run the models side by side on one thread each; a batch
runs them one after the other on every core; an encode that overlaps another takes one thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Protocol

import numpy as np


class _Encodes(Protocol):
    """An encoder, as far as this module needs one (:class:`matcher.encoders.Encoder`)."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


#: Up to this many texts the matcher runs its models side by side, one thread each (USE gains
#: nothing from a second thread on one profile: measured 6.6 vs 7.7 ms). Larger batches run the
#: models one after the other, each on every core.
FEW_TEXTS = 8

_running = 0
_running_lock = threading.Lock()


@contextmanager
def encoding() -> Iterator[int]:
    """Count an encode in progress in this process; yields how many run now, this one included.

    An encoder takes every core only when it runs alone: beside another encode (the other model
    of the same profile, or another request) it takes one thread, so two cores are shared rather
    than oversubscribed.
    """
    global _running
    with _running_lock:
        _running += 1
        now = _running
    try:
        yield now
    finally:
        with _running_lock:
            _running -= 1


def single_blas_thread() -> None:
    """Put numpy's BLAS on one thread for the rest of the process (the CLI and service call this).

    The matcher's matrix products are small and gain nothing from a second thread, while an
    idle BLAS thread spinning, and every switch between one and two threads, slows the next
    encode down: measured, one match 78 -> 66 ms. USE still takes every core for a batch (it
    raises the limit for the duration of its call).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


_SIDE_BY_SIDE: ThreadPoolExecutor | None = None


def encode_side_by_side(jobs: Sequence[tuple[_Encodes, list[str]]]) -> list[np.ndarray]:
    """Run each ``(encoder, texts)`` job at once, in a shared pool of one thread per core.

    Meant for a few texts: each model then takes one thread, so two models take about as long as
    the slower one. The pool also caps how many encodes run at once when requests pile up.
    """
    global _SIDE_BY_SIDE
    with _running_lock:
        if _SIDE_BY_SIDE is None:
            _SIDE_BY_SIDE = ThreadPoolExecutor(max_workers=available_cores(), thread_name_prefix="encode")
    with encoding():  # counted from the start, so that no job sees itself alone
        return list(_SIDE_BY_SIDE.map(lambda job: job[0].encode(job[1]), jobs))


def encode_all(
    encoders: Sequence[_Encodes], texts: list[str], extra: Sequence[str] = ()
) -> tuple[list[np.ndarray], np.ndarray]:
    """``texts`` by every encoder, plus ``extra`` (passages to explain) by the first, in its same call.

    Returns one (n_texts, dim) matrix per encoder, and ``extra``'s embeddings by the first. A few
    texts run the models side by side, one thread each; a batch runs them one after the other,
    each on every core (see :data:`FEW_TEXTS`).
    """
    jobs = [(encoders[0], [*texts, *extra]), *((e, texts) for e in encoders[1:])]
    if len(jobs) > 1 and len(texts) <= FEW_TEXTS:
        out = encode_side_by_side(jobs)
    else:
        out = [encoder.encode(batch) for encoder, batch in jobs]
    n = len(texts)
    return [out[0][:n], *out[1:]], out[0][n:]
