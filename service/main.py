"""The FastAPI application: ``create_app`` (uvicorn runs ``service.main:create_app`` with ``factory=True``).

Nothing heavy happens at import. The lifespan opens the store and loads the matcher once per
process in a background thread, so ``/healthz`` answers at once and ``/readyz`` says when the
models are in.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher._version import __version__
from matcher.store import NotFound, Store
from matcher.threads import single_blas_thread
from service import logs, metrics
from service.deps import resolve_settings
from service.routes import api_router, health, pages
from service.schemas import document_limits
from service.settings import ServiceSettings, get_service_settings
from service.state import AppState, Conflict, InvalidInput, MatcherFactory, MatcherHolder, NotReady, Runtime
from service.state import fit_matcher as default_factory
from service.throttle import RateLimited, Throttle

log = logging.getLogger(__name__)
#: Where the pages' files are served from.
STATIC_PATH = "/static"

DESCRIPTION = """Match a company's free-text profile (English or Polish) to the Pomeranian business cluster
that fits it, with the routing decision and the passages that explain it. Admin calls need the
`X-API-Key` header (the `MATCHER_API_KEY` setting). The open routes (match, triage, inquiries) are
rate-limited per client address (429 with `Retry-After`), and an anonymous triage batch is small;
the same header, with the right key, lifts both."""


def create_app(
    settings: ServiceSettings | None = None,
    *,
    matcher_factory: MatcherFactory | None = None,
    stale_check_seconds: float = 2.0,
) -> FastAPI:
    """Build the application.

    Args:
        settings: Used instead of :func:`service.settings.get_service_settings` (tests pass a temporary
            database here; overriding ``get_service_settings`` in ``app.dependency_overrides`` works too).
        matcher_factory: Builds the matcher from settings, store and already-loaded encoders;
            defaults to :func:`service.state.fit_matcher` (the real models).
        stale_check_seconds: How often a request checks whether another process changed the store.
    """
    factory = matcher_factory or default_factory

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[AppState]:
        s = resolve_settings(app)
        logs.configure(s.log_format, s.log_level)  # in each worker process: it runs its own lifespan
        single_blas_thread()  # the matcher's small products; see the function
        store = Store(s.database_url)  # creates the tables on a new database
        holder = MatcherHolder(s, store, factory, stale_check_seconds=stale_check_seconds)
        holder.start()
        try:
            yield {"runtime": Runtime(s, store, holder), "throttle": Throttle(s.rate_limits())}
        finally:
            await run_in_threadpool(holder.close)
            store.close()

    app = FastAPI(
        title="Cluster Matcher",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by pages.router from this service's own copy of Swagger UI
        redoc_url=None,
    )
    if settings is not None:
        app.dependency_overrides[get_service_settings] = lambda: settings
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(metrics.MetricsMiddleware)  # added later = further out: it sees the 413s too
    app.add_middleware(logs.RequestIdMiddleware)  # outermost: the id is set for everything inside
    _add_exception_handlers(app)
    app.include_router(api_router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(pages.router)
    app.mount(STATIC_PATH, StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.openapi = _openapi_with_limits(app)  # type: ignore[method-assign]
    return app


def _openapi_with_limits(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi`` that also documents this deployment's text and batch limits."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # generate() caches the schema there; document it once
            s = resolve_settings(app)
            document_limits(generate(), max_text_chars=s.max_text_chars, max_batch=s.max_batch)
        assert app.openapi_schema is not None  # set by generate(), above or on an earlier call
        return app.openapi_schema

    return openapi


def _detail(status_code: int, detail: object, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)


class _AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped and NaN or infinities as strings: it can echo any input, even a
    lone surrogate or the ``NaN`` that Python's JSON reader accepts, without failing."""

    def render(self, content: object) -> bytes:
        return json.dumps(_finite(content), ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode()


def _finite(value: object) -> object:
    """``value`` with every NaN or infinite float replaced by its JSON-ish name ("NaN", "Infinity")."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


#: What FastAPI says (with a 400) when the request body cannot be decoded.
_BODY_PARSE_ERROR = "There was an error parsing the body"


def _add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            # Starlette lists the methods of the first matching route only; a path has several.
            return _detail(exc.status_code, exc.detail, {"Allow": ", ".join(_allowed_methods(request))})
        if exc.status_code == status.HTTP_400_BAD_REQUEST and exc.detail == _BODY_PARSE_ERROR:
            # FastAPI's "error parsing the body" (bytes that are not UTF-8): invalid input like any other.
            error = {"type": "json_invalid", "loc": ["body"], "msg": f"the body cannot be read: {exc.detail}"}
            return _detail(status.HTTP_422_UNPROCESSABLE_CONTENT, [error])
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input as UTF-8, and a lone surrogate in it made a 500.
        return _AsciiJSONResponse({"detail": jsonable_encoder(exc.errors())}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(NotReady)
    async def not_ready(_: Request, exc: NotReady) -> JSONResponse:
        return _detail(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc), {"Retry-After": "5"})

    @app.exception_handler(RateLimited)
    async def rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        return _detail(status.HTTP_429_TOO_MANY_REQUESTS, exc.detail, {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        # The same shape as FastAPI's own validation errors, so a client parses one kind of 422.
        error = {"type": "value_error", "loc": list(exc.loc), "msg": exc.message}
        return _detail(status.HTTP_422_UNPROCESSABLE_CONTENT, [error])

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return _detail(status.HTTP_409_CONFLICT, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return _detail(status.HTTP_404_NOT_FOUND, str(exc))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        # Only a bug gets here: log it with the traceback, tell the client nothing internal.
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _detail(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged")


#: The methods a 405's ``Allow`` header may list.
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route answers on this path (routes of included routers too)."""
    if request.url.path.startswith(f"{STATIC_PATH}/"):  # the mount has rewritten the scope; files are read-only
        return ["GET", "HEAD"]
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in request.app.router.routes
        )
    ]


class BodyLimitMiddleware:
    """Refuse a request body over ``max_body_bytes`` with 413, by Content-Length and by bytes counted.

    The body is read (and counted) before the application sees it, then replayed; a chunked
    upload with no Content-Length is stopped as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = resolve_settings(scope["app"]).max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit, scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break  # the client went away; the app will see the disconnect
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(limit, scope, receive, send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = _detail(status.HTTP_413_CONTENT_TOO_LARGE, f"the request body is over the limit of {limit} bytes")
    await response(scope, receive, send)
