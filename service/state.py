"""The service's runtime: the store, the matcher (loaded once, refitted when the store changes) and
the operations the routes call.

The database is the only shared state. Every write that changes what the matcher learns from
(catalogue edits, decisions, feedback) refits this process's matcher before it answers; other
workers, and the CLI, notice the change through :meth:`matcher.store.Store.state_token` within
``stale_check_seconds`` and refit in the background. A refit reuses the loaded encoders, and the
new matcher replaces the old one in a single swap under a lock, so a request always works with one
whole matcher.
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
from matcher.loading import build_matcher
from matcher.profiles import normalise_labels
from matcher.serialize import triage_line
from matcher.store import FeedbackRow, InquiryRow, NotFound, Store
from matcher.text import detect_lang
from matcher.types import LabelledProfile, MatchResult
from service.settings import ServiceSettings
from service.throttle import Throttle

log = logging.getLogger(__name__)

WARM_UP_TEXT = "We design refrigeration systems. Projektujemy instalacje chłodnicze."

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
class _Snapshot:
    matcher: Matcher
    token: tuple[Any, ...]


class MatcherHolder:
    """Owns this process's matcher: the first load in the background, refits, and the atomic swap."""

    def __init__(
        self, settings: ServiceSettings, store: Store, factory: MatcherFactory, *, stale_check_seconds: float = 2.0
    ) -> None:
        self.settings = settings
        self.store = store
        self.factory = factory
        self.stale_check_seconds = stale_check_seconds
        self._snapshot: _Snapshot | None = None
        self._error: str | None = None
        self._swap_lock = threading.Lock()
        self._refit_lock = threading.Lock()
        self._check_lock = threading.Lock()  # guards _checked_at and _threads
        self._checked_at = 0.0
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Load the matcher in a background thread; :meth:`get` raises :class:`NotReady` until then."""
        self._spawn(self._first_load, "matcher-load")

    def close(self, timeout: float = 60.0) -> None:
        """Wait for a load or refit in progress (so it does not outlive the store)."""
        with self._check_lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

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
        snapshot = self._current()
        if snapshot is None:
            raise NotReady(
                f"the matcher failed to load: {self._error}" if self._error else "the models are still loading"
            )
        self._schedule_check()
        return snapshot.matcher

    def refresh(self) -> Matcher:
        """Refit if the store changed since the current matcher was built; return the current one."""
        with self._refit_lock:
            token = self.store.state_token()  # read first: a change during the fit triggers another
            snapshot = self._current()
            if snapshot is not None and snapshot.token == token:
                return snapshot.matcher
            encoders = snapshot.matcher.encoders_ if snapshot is not None else None
            matcher = self.factory(self.settings, self.store, encoders)
            with self._swap_lock:
                self._snapshot = _Snapshot(matcher, token)
            log.info("matcher ready: %s", matcher.provenance_)
            return matcher

    def refresh_after_write(self) -> None:
        """Refit after this process changed the store; a failed refit keeps the old matcher."""
        if self._current() is not None:
            self._refresh_logged()

    def _current(self) -> _Snapshot | None:
        with self._swap_lock:
            return self._snapshot

    def _first_load(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # any failure must show on /readyz, not kill the thread silently
            log.exception("the matcher failed to load")
            self._error = f"{type(exc).__name__}: {exc}"

    def _refresh_logged(self) -> None:
        try:
            self.refresh()
        except Exception:  # the old matcher keeps serving; the cause is in the log
            log.exception("refitting the matcher failed; still serving the previous one")

    def _schedule_check(self) -> None:
        """At most one check per ``stale_check_seconds``, in the background, and none during a refit."""
        now = time.monotonic()
        with self._check_lock:
            if now - self._checked_at < self.stale_check_seconds or self._refit_lock.locked():
                return
            self._checked_at = now
        self._spawn(self._refresh_logged, "matcher-refresh")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._check_lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()


class AppState(TypedDict):
    """What the lifespan hands to every request (``request.state``)."""

    runtime: Runtime
    throttle: Throttle


class Runtime:
    """The operations behind the routes: validation against settings and catalogue, store, matcher."""

    def __init__(self, settings: ServiceSettings, store: Store, holder: MatcherHolder) -> None:
        self.settings = settings
        self.store = store
        self.holder = holder

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

    def triage(self, profiles: Sequence[tuple[str, str]], *, anonymous: bool = False) -> list[dict[str, Any]]:
        """Triage lines for ``(id, text)`` pairs; an ``anonymous`` caller (without the admin key) may
        send at most ``anonymous_max_batch`` of them, others ``max_batch``."""
        limit, with_key = self.settings.max_batch, ""
        if anonymous and self.settings.anonymous_max_batch < limit:
            limit, with_key = self.settings.anonymous_max_batch, f" without the admin key (X-API-Key), {limit} with it"
        if len(profiles) > limit:
            message = f"the batch has {len(profiles)} profiles; the limit is {limit} per request{with_key}"
            raise InvalidInput(("body", "profiles"), message)
        texts = [self.check_text(text, ("body", "profiles", i, "text")) for i, (_, text) in enumerate(profiles)]
        results = self.matcher().match_many(texts, explain=False)
        return [triage_line(pid, r) for (pid, _), r in zip(profiles, results, strict=True)]

    # -- catalogue --------------------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        return self.matcher().catalogue_

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
        self.holder.refresh_after_write()
        return cluster

    def delete_cluster(self, cluster_id: str) -> None:
        self.cluster(cluster_id)  # unknown: 404
        if len(self.catalogue()) == 1:
            raise Conflict(f"{cluster_id!r} is the last cluster; a catalogue needs at least one")
        self.store.delete_cluster(cluster_id)
        self.holder.refresh_after_write()

    def _check_labels(self, labels: Sequence[str], loc: tuple[str | int, ...]) -> tuple[str, ...]:
        """``labels`` checked against the catalogue, in their stored form (``("none",)`` when no
        cluster fits, sent as ``[]`` or ``["none"]``; see :func:`matcher.profiles.normalise_labels`)."""
        known = self.catalogue().ids
        for i, label in enumerate(labels):
            if label != NO_FIT and label not in known:
                raise InvalidInput((*loc, i), f"unknown cluster {label!r}; known: {', '.join(known)}")
        try:
            return normalise_labels(labels)
        except ValueError as exc:
            raise InvalidInput((*loc, list(labels).index(NO_FIT)), str(exc)) from None

    # -- inquiries --------------------------------------------------------------------------

    def create_inquiry(self, text: str, contact: str | None) -> InquiryRow:
        result = self.matcher().match(self.check_text(text), explain=False)
        return self.store.add_inquiry(result, contact=contact)

    def decide(self, inquiry_id: int, clusters: Sequence[str]) -> InquiryRow:
        chosen = self._check_labels(clusters, ("body", "clusters"))
        row = self.store.decide_inquiry(inquiry_id, chosen)  # kept on the inquiry as [] when none fits
        self.holder.refresh_after_write()
        return row

    # -- feedback ---------------------------------------------------------------------------

    def add_feedback(self, text: str, labels: Sequence[str]) -> tuple[FeedbackRow, bool]:
        """The stored feedback, and whether it is new: the same text with the same labels, already
        active, is not stored twice (as ``matcher feedback import`` does)."""
        chosen = self._check_labels(labels, ("body", "labels"))
        profile = LabelledProfile(id="", text=self.check_text(text), labels=chosen, lang=detect_lang(text))
        row, created = self.store.add_feedback_once(profile, source="api")
        if created:
            self.holder.refresh_after_write()
        return row, created

    def withdraw_feedback(self, feedback_id: int) -> FeedbackRow:
        row = self.store.withdraw_feedback(feedback_id)
        self.holder.refresh_after_write()
        return row
