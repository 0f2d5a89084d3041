"""The service's runtime: the store, the matcher (loaded once, refitted when the store changes) and
the operations the routes call.

The database is the only shared state. A write that changes what the matcher learns from
(catalogue edits, decisions, feedback, withdrawals) is acknowledged once it is committed to the
store; it only asks :class:`MatcherHolder` for a refit, which runs in a background thread. Writes
made while a refit runs are coalesced into one more refit after it, however many they were. Other
workers, and the CLI, notice the change through :meth:`matcher.store.Store.state_token` within
``stale_check_seconds`` and refit the same way. A refit reuses the loaded encoders, and the new
matcher replaces the old one in a single swap under a lock, so a request always works with one
whole matcher; until the swap, requests are answered by the previous one, and every answer of the
matcher says which fitted state made it (``provenance.fitted_state``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from matcher.catalogue import Catalogue, CatalogueError, Cluster
from matcher.config import NO_FIT
from matcher.encoders import Encoder
from matcher.estimator import Matcher
from matcher.loading import build_matcher, effective_catalogue
from matcher.profiles import normalise_labels
from matcher.serialize import triage_line
from matcher.store import FeedbackRow, InquiryRow, NotFound, Store
from matcher.text import detect_lang
from matcher.types import LabelledProfile, MatchResult
from service.metrics import observe_fit
from service.settings import ServiceSettings
from service.throttle import Throttle

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


class InvalidInput(ValueError):
    """Well-formed input the service cannot accept (answered with 422, naming the field)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class Conflict(ValueError):
    """A request that would leave the service unusable, e.g. deleting the last cluster (409)."""


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


class AppState(TypedDict):
    """What the lifespan hands to every request (``request.state``)."""

    runtime: Runtime
    throttle: Throttle


#: How many profiles of a triage batch are matched between two looks at whether the client is still there.
TRIAGE_CHUNK = 16


class Runtime:
    """The operations behind the routes: validation against settings and catalogue, store, matcher."""

    def __init__(self, settings: ServiceSettings, store: Store, holder: MatcherHolder) -> None:
        self.settings = settings
        self.store = store
        self.holder = holder
        self._catalogue_lock = threading.Lock()

    def matcher(self) -> Matcher:
        return self.holder.get()

    # -- matching ---------------------------------------------------------------------------

    def check_text(self, text: str, loc: tuple[str | int, ...] = ("body", "text")) -> str:
        limit = self.settings.max_text_chars
        if len(text) > limit:
            raise InvalidInput(loc, f"the text has {len(text)} characters; the limit is {limit}")
        return text

    def match(self, text: str, *, top_k: int) -> tuple[MatchResult, Catalogue]:
        """The result and the catalogue of the very matcher that produced it."""
        matcher = self.matcher()
        return matcher.match(self.check_text(text), top_k=top_k), matcher.catalogue_

    def triage(
        self, profiles: Sequence[tuple[str, str]], *, anonymous: bool = False
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Triage lines for ``(id, text)`` pairs, and the provenance of the matcher that made them all.

        An ``anonymous`` caller (without the admin key) may send at most ``anonymous_max_batch``
        pairs, others ``max_batch``."""
        texts = self._checked_batch(profiles, anonymous=anonymous)
        matcher = self.matcher()
        results = matcher.match_many(texts, explain=False)
        return [triage_line(pid, r) for (pid, _), r in zip(profiles, results, strict=True)], matcher.provenance_

    def triage_chunks(
        self, profiles: Sequence[tuple[str, str]], *, anonymous: bool = False, size: int = TRIAGE_CHUNK
    ) -> tuple[list[Callable[[], list[dict[str, Any]]]], dict[str, Any]]:
        """:meth:`triage` cut into chunks of ``size`` profiles: one call per chunk, each matching its
        chunk with the same matcher, and that matcher's provenance. The batch is checked at once (as
        :meth:`triage` checks it); the caller runs the calls in order and may stop between them, as
        ``POST /v1/triage`` does when its client has gone."""
        texts = self._checked_batch(profiles, anonymous=anonymous)
        matcher, size = self.matcher(), max(size, 1)

        def chunk(start: int) -> Callable[[], list[dict[str, Any]]]:
            def run() -> list[dict[str, Any]]:
                results = matcher.match_many(texts[start : start + size], explain=False)
                ids = [pid for pid, _ in profiles[start : start + size]]
                return [triage_line(pid, r) for pid, r in zip(ids, results, strict=True)]

            return run

        return [chunk(start) for start in range(0, len(texts), size)], matcher.provenance_

    def _checked_batch(self, profiles: Sequence[tuple[str, str]], *, anonymous: bool) -> list[str]:
        """The texts of a triage batch, once its size and each text are within the limits."""
        limit, with_key = self.settings.max_batch, ""
        if anonymous and self.settings.anonymous_max_batch < limit:
            limit, with_key = self.settings.anonymous_max_batch, f" without the admin key (X-API-Key), {limit} with it"
        if len(profiles) > limit:
            message = f"the batch has {len(profiles)} profiles; the limit is {limit} per request{with_key}"
            raise InvalidInput(("body", "profiles"), message)
        return [self.check_text(text, ("body", "profiles", i, "text")) for i, (_, text) in enumerate(profiles)]

    # -- catalogue --------------------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        """The catalogue the current matcher works with (an edit shows here once it is refitted)."""
        return self.matcher().catalogue_

    def committed_catalogue(self) -> Catalogue:
        """The catalogue as committed to the store, which writes are checked against: an edit
        acknowledged a moment ago counts even before the refit that learns it. (503 while loading.)"""
        fitted = self.holder.fitted()
        if fitted.token == self.store.state_token():  # fitted from the store as it is: nothing newer
            return fitted.matcher.catalogue_
        return effective_catalogue(self.store, self.settings.catalogue_path)

    def cluster(self, cluster_id: str) -> Cluster:
        catalogue = self.catalogue()
        if cluster_id not in catalogue:
            raise NotFound(f"no cluster with id {cluster_id!r}; known: {', '.join(catalogue.ids)}")
        return catalogue.get(cluster_id)

    def put_cluster(self, cluster_id: str, payload: dict[str, Any]) -> Cluster:
        if cluster_id == NO_FIT:
            raise InvalidInput(("path", "cluster_id"), f"{NO_FIT!r} is reserved for profiles that fit no cluster")
        try:
            cluster = self.store.put_cluster(payload)
        except CatalogueError as exc:
            raise InvalidInput(("body",), str(exc)) from None
        self.holder.request_refit()
        return cluster

    def delete_cluster(self, cluster_id: str) -> None:
        """Delete a cluster of the committed catalogue; 404 for an unknown one, 409 for the last one.

        Checked and written under one lock, so two deletes in this process cannot both pass the check
        on a catalogue of two clusters.
        """
        with self._catalogue_lock:
            catalogue = self.committed_catalogue()
            if cluster_id not in catalogue:
                raise NotFound(f"no cluster with id {cluster_id!r}; known: {', '.join(catalogue.ids)}")
            if len(catalogue) == 1:
                raise Conflict(f"{cluster_id!r} is the last cluster; a catalogue needs at least one")
            self.store.delete_cluster(cluster_id)
        self.holder.request_refit()

    def _check_labels(self, labels: Sequence[str], loc: tuple[str | int, ...]) -> tuple[str, ...]:
        """``labels`` checked against the committed catalogue, in their stored form (``("none",)`` when
        no cluster fits, sent as ``[]`` or ``["none"]``; see :func:`matcher.profiles.normalise_labels`)."""
        known = self.committed_catalogue().ids
        for i, label in enumerate(labels):
            if label != NO_FIT and label not in known:
                raise InvalidInput((*loc, i), f"unknown cluster {label!r}; known: {', '.join(known)}")
        try:
            return normalise_labels(labels)
        except ValueError as exc:
            raise InvalidInput((*loc, list(labels).index(NO_FIT)), str(exc)) from None

    # -- inquiries --------------------------------------------------------------------------

    def create_inquiry(self, text: str, contact: str | None) -> InquiryRow:
        # The best three clusters are explained: the office sees each one's summary on the inquiry.
        result = self.matcher().match(self.check_text(text), top_k=3)
        return self.store.add_inquiry(result, contact=contact)

    def decide(self, inquiry_id: int, clusters: Sequence[str]) -> InquiryRow:
        chosen = self._check_labels(clusters, ("body", "clusters"))
        row = self.store.decide_inquiry(inquiry_id, chosen)  # kept on the inquiry as [] when none fits
        self.holder.request_refit()
        return row

    # -- feedback ---------------------------------------------------------------------------

    def add_feedback(self, text: str, labels: Sequence[str]) -> tuple[FeedbackRow, bool]:
        """The stored feedback, and whether it is new: the same text with the same labels, already
        active, is not stored twice (as ``matcher feedback import`` does)."""
        chosen = self._check_labels(labels, ("body", "labels"))
        profile = LabelledProfile(id="", text=self.check_text(text), labels=chosen, lang=detect_lang(text))
        row, created = self.store.add_feedback_once(profile, source="api")
        if created:
            self.holder.request_refit()
        return row, created

    def withdraw_feedback(self, feedback_id: int) -> FeedbackRow:
        row = self.store.withdraw_feedback(feedback_id)
        self.holder.request_refit()
        return row
