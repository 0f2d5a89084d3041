"""Prometheus metrics at ``GET /metrics`` (prometheus-client).

What is measured:

- ``matcher_http_request_duration_seconds`` (histogram) and ``matcher_http_requests_total``
  (counter, with the status code): every request, labelled by its route template
  (``/v1/clusters/{cluster_id}``, not the path a client sent; ``unmatched`` when no route fits).
- ``matcher_matches_total``: the profiles matched for clients by ``POST /v1/match`` and
  ``POST /v1/triage`` (``source``), by ``outcome`` (routed, no_fit, unclear) and ``needs_review``,
  counted by :class:`service.state.Runtime` as it matches them (:func:`count_matches`).
- ``matcher_inquiries_total``: inquiries stored by ``POST /v1/inquiries``, by the queue they joined
  (``status``: routed or needs_review).
- ``matcher_review_queue_size``: inquiries waiting for an officer, read from the store when
  scraped (one ``COUNT`` over an indexed column). Every replica reports the same database: take
  ``max``, not ``sum``, across instances.
- ``matcher_refits_total`` (by ``kind``: first_load or refit, and ``result``: ok or failed) and
  ``matcher_refit_duration_seconds``: fits of the matcher (:func:`observe_fit`, called by
  :class:`service.state.MatcherHolder`).
- Without multiprocess mode, also prometheus-client's ``process_*`` and ``python_*`` metrics.

The values live in each process. With several uvicorn workers, a scrape reaches one worker and
sees that worker's counts only, unless ``PROMETHEUS_MULTIPROC_DIR`` names an empty folder before the
service starts: prometheus-client's multiprocess mode then keeps every worker's values in files
there and each scrape adds them up (the folder must be emptied at every start; the deploy/ recipes
do). Several replicas are several scrape targets either way.
"""

from __future__ import annotations

import collections
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from prometheus_client import REGISTRY, Counter, Histogram, Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.store import Store
from matcher.store_queries import InquiryFilter
from matcher.types import MatchResult
from service.logs import log_fit

__all__ = [
    "FIRST_LOAD",
    "INQUIRIES",
    "MATCHES",
    "METHODS",
    "MULTIPROCESS_DIR",
    "REFIT",
    "REFITS",
    "REFIT_SECONDS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "UNMATCHED",
    "Fit",
    "MetricsMiddleware",
    "ReviewQueueCollector",
    "observe_fit",
    "render",
    "route_template",
    "routes_of",
    "router",
]

log = logging.getLogger(__name__)

#: prometheus-client reads it when imported: set, every process writes its values there.
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
if MULTIPROCESS_DIR is not None:  # the metrics below create their files at once
    Path(MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)

#: The route label of a request that no route answers (a 404 by path): one series, whatever was asked.
UNMATCHED = "unmatched"
FIRST_LOAD, REFIT = "first_load", "refit"
#: The method label's values (any other method a client makes up is ``other``: labels stay few).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "matcher_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
REQUESTS = Counter(
    "matcher_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
MATCHES = Counter(
    "matcher_matches",
    "Profiles matched for clients, by source (match, triage), outcome (routed, no_fit, unclear) and needs_review.",
    ["source", "outcome", "needs_review"],
)
INQUIRIES = Counter(
    "matcher_inquiries", "Inquiries stored, by the queue they joined (routed, needs_review).", ["status"]
)
REFITS = Counter(
    "matcher_refits",
    "Fits of the matcher, by kind (first_load, refit after the store changed) and result (ok, failed).",
    ["kind", "result"],
)
REFIT_SECONDS = Histogram(
    "matcher_refit_duration_seconds",
    "Time a successful fit of the matcher took (a first load includes the models).",
    ["kind"],
    buckets=(0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)


# -- fits -----------------------------------------------------------------------------------------


class Fit:
    """One fit in progress (see :func:`observe_fit`); ``seconds`` is set when it ends."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.seconds = 0.0

    def ready(self, provenance: Mapping[str, Any]) -> None:
        """The fitted matcher is serving: log it (on the first load, the service's "ready" line)."""
        log_fit(provenance, self.seconds, first=self.kind == FIRST_LOAD)


@contextmanager
def observe_fit(*, first: bool) -> Iterator[Fit]:
    """Count and time the fit of the matcher inside the ``with`` block; ``first`` for the load at start.

    Example (as :meth:`service.state.MatcherHolder.refresh` does)::

        with observe_fit(first=snapshot is None) as fit:
            matcher = factory(settings, store, encoders)
        ...  # swap it in
        fit.ready(matcher.provenance_)
    """
    fit = Fit(FIRST_LOAD if first else REFIT)
    started = time.perf_counter()
    try:
        yield fit
    except BaseException:
        REFITS.labels(fit.kind, "failed").inc()
        raise
    fit.seconds = time.perf_counter() - started
    REFITS.labels(fit.kind, "ok").inc()
    REFIT_SECONDS.labels(fit.kind).observe(fit.seconds)


# -- requests -------------------------------------------------------------------------------------


def routes_of(app: Any) -> list[Any]:
    """Every route of ``app`` with its full path, those of included routers too, in routing order."""
    routes = list(getattr(getattr(app, "router", None), "routes", ()))
    try:  # recent FastAPI keeps included routers whole; this lists their routes with the prefixes
        from fastapi.routing import iter_route_contexts
    except ImportError:  # earlier FastAPI copies included routes, full paths and all, into app.routes
        return routes
    return list(iter_route_contexts(routes))


def route_template(scope: Scope, routes: Iterable[Any]) -> str:
    """The template of the route that answers ``scope`` (``/v1/inquiries/{inquiry_id}``; a file is
    ``/static/{path}``), or :data:`UNMATCHED`. A path some route has, with a method it lacks (a 405),
    is that route's. ``scope`` as the request came in: routing rewrites it."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path_format", None) or route.path)
        if match is Match.PARTIAL and partial is None:
            partial = route
    return str(getattr(partial, "path_format", None) or partial.path) if partial is not None else UNMATCHED


class MetricsMiddleware:
    """Time and count every HTTP request by route template.

    The routes are listed on the first request (routes added to the application later are
    ``unmatched`` here).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: list[Any] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._routes is None:
            self._routes = routes_of(scope["app"])
        method = scope["method"] if scope["method"] in METHODS else "other"
        route = route_template(scope, self._routes)
        started = time.perf_counter()
        status = 500  # if the application fails before it answers

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
            REQUESTS.labels(method, route, str(status)).inc()


def count_matches(source: str, results: Iterable[MatchResult]) -> None:
    """Count profiles matched for clients (``source``: match or triage) by outcome and review."""
    counts = collections.Counter((r.outcome, "true" if r.needs_review else "false") for r in results)
    for (outcome, needs_review), n in counts.items():
        MATCHES.labels(source, outcome, needs_review).inc(n)


def count_inquiry(status: str) -> None:
    """Count an inquiry stored, by the queue it joined."""
    INQUIRIES.labels(status).inc()


# -- the scrape -----------------------------------------------------------------------------------


class _Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


class ReviewQueueCollector:
    """``matcher_review_queue_size``, read from the store at each scrape; left out if the store fails."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        try:
            size = self.store.count_inquiries(InquiryFilter(status="needs_review"))
        except SQLAlchemyError as exc:
            log.warning("metrics: cannot read the review queue's size: %s", str(exc).splitlines()[0])
            return
        yield GaugeMetricFamily(
            "matcher_review_queue_size", "Inquiries waiting for an officer (status needs_review) in the store.", size
        )


class _Together:
    """Several collectors as one, for prometheus-client's encoders."""

    def __init__(self, *collectors: _Collector) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def render(store: Store | None = None, accept: str = "") -> tuple[bytes, str]:
    """The metrics and their content type, in the format the ``accept`` header asks for (Prometheus'
    text format by default, OpenMetrics on request): this process's values (or, in multiprocess
    mode, every worker's, added up), and the review queue's size when given the ``store``."""
    values: _Collector = (
        MultiProcessCollector(None, MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
        if MULTIPROCESS_DIR is not None
        else REGISTRY
    )
    extra = [ReviewQueueCollector(store)] if store is not None else []
    encode, content_type = choose_encoder(accept)
    return encode(_Together(values, *extra)), content_type


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """The Prometheus scrape target (plain ``def``: the store's query runs in the threadpool)."""
    runtime = getattr(request.state, "runtime", None)
    body, content_type = render(getattr(runtime, "store", None), request.headers.get("accept", ""))
    return Response(body, headers={"Content-Type": content_type})
