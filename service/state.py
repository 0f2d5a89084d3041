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
from collections.abc import Callable, Sequence
from typing import Any, TypedDict

from matcher.catalogue import Catalogue, CatalogueError, Cluster
from matcher.config import NO_FIT
from matcher.estimator import Matcher
from matcher.loading import effective_catalogue
from matcher.profiles import normalise_labels
from matcher.serialize import triage_line
from matcher.store import FeedbackRow, InquiryRow, NotFound, Store
from matcher.text import detect_lang
from matcher.types import LabelledProfile, MatchResult
from service.holder import MatcherFactory, MatcherHolder, NotReady, fit_matcher
from service.metrics import count_inquiry, count_matches
from service.settings import ServiceSettings
from service.throttle import Throttle

log = logging.getLogger(__name__)

__all__ = [
    "AppState",
    "Conflict",
    "InvalidInput",
    "MatcherFactory",
    "MatcherHolder",
    "NotReady",
    "Runtime",
    "fit_matcher",
]


class InvalidInput(ValueError):
    """Well-formed input the service cannot accept (answered with 422, naming the field)."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class Conflict(ValueError):
    """A request that would leave the service unusable, e.g. deleting the last cluster (409)."""


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
        result = matcher.match(self.check_text(text), top_k=top_k)
        count_matches("match", [result])
        return result, matcher.catalogue_

    def triage_chunks(
        self, profiles: Sequence[tuple[str, str]], *, anonymous: bool = False, size: int = TRIAGE_CHUNK
    ) -> tuple[list[Callable[[], list[dict[str, Any]]]], dict[str, Any]]:
        """Triage lines for ``(id, text)`` pairs, cut into chunks of ``size`` profiles: one call per
        chunk, each matching its chunk with the same matcher, and that matcher's provenance. The
        batch is checked at once: an ``anonymous`` caller (without the admin key) may send at most
        ``anonymous_max_batch`` pairs, others ``max_batch``. The caller runs the calls in order and
        may stop between them, as ``POST /v1/triage`` does when its client has gone."""
        texts = self._checked_batch(profiles, anonymous=anonymous)
        matcher, size = self.matcher(), max(size, 1)

        def chunk(start: int) -> Callable[[], list[dict[str, Any]]]:
            def run() -> list[dict[str, Any]]:
                results = matcher.match_many(texts[start : start + size], explain=False)
                count_matches("triage", results)
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
        row = self.store.add_inquiry(result, contact=contact)
        count_inquiry(row.status)
        return row

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
