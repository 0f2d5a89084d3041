"""The matcher's lifecycle in one process: loaded once in the background, refitted in the background
when the store changes, swapped in whole.

A write only asks :meth:`MatcherHolder.request_refit`; writes made while a refit runs are coalesced
into one more refit after it. Other workers, and the CLI, notice a change through
:meth:`matcher.store.Store.state_token` within ``stale_check_seconds`` and refit the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from matcher.encoders import Encoder
from matcher.estimator import Matcher
from matcher.loading import build_matcher
from matcher.store import Store
from service.metrics import observe_fit
from service.settings import ServiceSettings

log = logging.getLogger(__name__)

WARM_UP_TEXT = "We design refrigeration systems. Projektujemy instalacje chłodnicze."

#: After a refit fails, a stale check tries the same state of the store again no sooner than this
#: (a new write changes the state, and is tried at once).
RETRY_FAILED_SECONDS = 30.0

#: Builds a fitted matcher from the settings and the store; ``encoders`` are the loaded models to
#: reuse on a refit (``None`` on the first load).
MatcherFactory = Callable[[ServiceSettings, Store, Sequence[Encoder] | None], Matcher]


class NotReady(RuntimeError):
    """The matcher is still loading, or failed to load (answered with 503)."""


def fit_matcher(settings: ServiceSettings, store: Store, encoders: Sequence[Encoder] | None = None) -> Matcher:
    """The default factory: :func:`matcher.loading.build_matcher` (the catalogue edits and feedback of
    the store; a restart with nothing changed reuses the fitted matcher cached on disk).

    On the first load it also runs one whole match, so that "ready" means the first client does
    not pay for the first pass through every model and code path.
    """
    args = settings.matcher_args() | ({"encoders": list(encoders)} if encoders else {})
    matcher = build_matcher(store, **args)
    if not encoders:
        matcher.match(WARM_UP_TEXT)
    return matcher


@dataclass(frozen=True, slots=True)
class Fitted:
    """A fitted matcher and the :meth:`~matcher.store.Store.state_token` of the store it was fitted from."""

    matcher: Matcher
    token: tuple[Any, ...]


class MatcherHolder:
    """Owns this process's matcher: the first load and the refits, in one background thread, and the
    atomic swap.

    :meth:`request_refit` returns at once. One thread (``matcher-refit``) fits at a time; requests
    that arrive while it fits set one flag, so however many writes a refit overlaps, one more refit
    follows it, and that one reads the store as it is then. A failed refit leaves the previous
    matcher serving (the error is logged); a failed first load leaves the service not ready.
    """

    def __init__(
        self, settings: ServiceSettings, store: Store, factory: MatcherFactory, *, stale_check_seconds: float = 2.0
    ) -> None:
        self.settings = settings
        self.store = store
        self.factory = factory
        self.stale_check_seconds = stale_check_seconds
        self._snapshot: Fitted | None = None
        self._error: str | None = None
        self._failed: tuple[tuple[Any, ...], float] | None = None  # the token of the last failed fit, and when
        self._swap_lock = threading.Lock()
        self._refit_lock = threading.Lock()  # one fit at a time
        # Guards the fields below; notified when the refit thread ends (wait_idle).
        self._state = threading.Condition(threading.Lock())
        self._pending = False
        self._worker: threading.Thread | None = None
        self._checked_at = 0.0
        self._closed = False

    def start(self) -> None:
        """Load the matcher in the background; :meth:`get` raises :class:`NotReady` until then."""
        self.request_refit()

    def close(self, timeout: float = 60.0) -> None:
        """Ask for no more refits and wait for one in progress (so it does not outlive the store)."""
        with self._state:
            self._closed = True
            self._pending = False
            worker = self._worker
        if worker is not None:
            worker.join(timeout)

    @property
    def status(self) -> Literal["ready", "loading", "failed"]:
        if self._current() is not None:
            return "ready"
        return "failed" if self._error is not None else "loading"

    @property
    def error(self) -> str | None:
        return self._error

    def get(self) -> Matcher:
        """The current matcher; also schedules a check for changes made by other processes."""
        return self.fitted().matcher

    def fitted(self) -> Fitted:
        """The current matcher with the store state it was fitted from (see :meth:`get`)."""
        snapshot = self._current()
        if snapshot is None:
            raise NotReady(
                f"the matcher failed to load: {self._error}" if self._error else "the models are still loading"
            )
        self._schedule_check()
        return snapshot

    def request_refit(self) -> None:
        """Refit in the background if the store changed (after a write); returns at once.

        Coalesced: while a refit runs, any number of calls lead to one more refit after it.
        """
        with self._state:
            if self._closed or (self._current() is None and self._error is not None):
                return  # shut down, or the first load failed: nothing to refit
            self._pending = True
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="matcher-refit", daemon=True)
                self._worker.start()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no refit runs or is asked for; whether that happened within ``timeout`` s."""
        with self._state:
            return self._state.wait_for(lambda: self._worker is None, timeout)

    def refresh(self) -> Matcher:
        """Refit now (in the caller's thread) if the store changed since the current matcher was
        built; return the current matcher. The background thread calls this."""
        with self._refit_lock:
            token = self.store.state_token()  # read first: a change during the fit triggers another
            snapshot = self._current()
            if snapshot is not None and (snapshot.token == token or self._failed_lately(token)):
                return snapshot.matcher
            encoders = snapshot.matcher.encoders_ if snapshot is not None else None
            try:
                with observe_fit(first=snapshot is None) as fit:  # counted and timed for /metrics
                    matcher = self.factory(self.settings, self.store, encoders)
            except Exception:
                self._failed = (token, time.monotonic())
                raise
            with self._swap_lock:
                self._snapshot = Fitted(matcher, token)
            self._failed = self._error = None
            fit.ready(matcher.provenance_)  # logs "ready: ..." (first load) or "matcher refitted ..."
            return matcher

    def _failed_lately(self, token: tuple[Any, ...]) -> bool:
        """Whether fitting this very state failed less than :data:`RETRY_FAILED_SECONDS` ago."""
        failed = self._failed
        return failed is not None and failed[0] == token and time.monotonic() - failed[1] < RETRY_FAILED_SECONDS

    def _current(self) -> Fitted | None:
        with self._swap_lock:
            return self._snapshot

    def _run(self) -> None:
        """The refit thread: fit while asked to, then end (a later request starts a new thread)."""
        try:
            while self._take_request():
                self._refresh_logged()
        except BaseException:
            with self._state:
                self._worker = None
                self._state.notify_all()
            raise

    def _take_request(self) -> bool:
        """Take the pending request, or, if there is none, end the thread in the same step (so a
        request made meanwhile always finds either a thread that will see it, or none)."""
        with self._state:
            if self._pending and not self._closed:
                self._pending = False
                return True
            self._worker = None
            self._state.notify_all()
            return False

    def _refresh_logged(self) -> None:
        first = self._current() is None
        try:
            self.refresh()
        except Exception as exc:  # a failure must show on /readyz or in the log, not kill the thread silently
            if first:
                log.exception("the matcher failed to load")
                self._error = f"{type(exc).__name__}: {exc}"
            else:  # the old matcher keeps serving
                log.exception("refitting the matcher failed; still serving the previous one")

    def _schedule_check(self) -> None:
        """At most one check per ``stale_check_seconds``, in the background, and none during a refit."""
        now = time.monotonic()
        with self._state:
            if now - self._checked_at < self.stale_check_seconds or self._worker is not None:
                return
            self._checked_at = now
        self.request_refit()
