"""The service's log lines: plain text or JSON lines, each with the id of the request it belongs to.

Every request gets an id (a sane incoming ``X-Request-ID`` is kept, so a reverse proxy's id and ours
are one; otherwise a new one), sent back in the ``X-Request-ID`` header and written on every line
logged while the request is handled, its access line included. :func:`configure` sets this up in
each process (the lifespan calls it, so every uvicorn worker does): ``MATCHER_LOG_FORMAT=json``
gives one JSON object a line for a log collector, ``text`` (the default) lines for a person.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "QUIET_PATHS",
    "REQUEST_ID_HEADER",
    "JsonFormatter",
    "LogFormat",
    "RequestIdFilter",
    "RequestIdMiddleware",
    "configure",
    "current_request_id",
    "log_fit",
    "request_id_from",
]

LogFormat = Literal["text", "json"]
REQUEST_ID_HEADER = "X-Request-ID"
_HEADER_KEY = REQUEST_ID_HEADER.lower().encode()
#: An incoming id is kept when it is this: short, and nothing that could forge or break a log line.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")
#: What a line logged outside any request (start-up, background refits) shows as its request id.
NO_REQUEST = "-"
_request_id: ContextVar[str] = ContextVar("matcher_request_id", default=NO_REQUEST)

#: The loggers whose INFO lines are the service's own (start-up progress, readiness, access).
OWN_LOGGERS = ("service", "matcher")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] [%(request_id)s] %(message)s"

access_log = logging.getLogger("service.access")
log = logging.getLogger(__name__)


def current_request_id() -> str:
    """The id of the request being handled, or ``"-"`` outside one."""
    return _request_id.get()


def request_id_from(incoming: str | None) -> str:
    """The incoming ``X-Request-ID`` if it is sane (1-128 characters of ``A-Za-z0-9._:+=/-``, the
    first a letter or digit), else a new random id (32 hex digits, like nginx's ``$request_id``)."""
    return incoming if incoming and _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each HTTP request an id (header in and out, and on its log lines) and log its access line.

    The access line (logger ``service.access``) has the method, path (without the query string,
    which may hold what a client typed), status, duration and client address; in JSON they are
    fields of their own. It replaces uvicorn's access log, which knows no request id.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k.lower() == _HEADER_KEY), None)
        request_id = request_id_from(incoming.decode("latin-1") if incoming is not None else None)
        token = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client gets if the application fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            _log_access(scope, status, time.perf_counter() - started)
            raise  # the id stays set: the error handler outside logs the traceback under it
        _log_access(scope, status, time.perf_counter() - started)
        _request_id.reset(token)


#: Probes and scrapes, polled every few seconds: their access lines are DEBUG unless they fail.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    client = scope.get("client")
    address = client[0] if client else "-"
    method, path = scope["method"], scope["path"]
    level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
    access_log.log(
        level,
        '%s "%s %s" %d %.1f ms',
        address,
        method,
        path,
        status,
        seconds * 1000,
        extra={
            "request_id": current_request_id(),
            "client": address,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 3),
        },
    )


def log_fit(provenance: Mapping[str, Any], seconds: float, *, first: bool) -> None:
    """The line that says the service is ready (``first``) or that a refit is in, with how long
    the load or fit took and the provenance of the fitted state."""
    summary = _provenance_summary(provenance)
    extra = {"event": "ready" if first else "refitted", "seconds": round(seconds, 3), "provenance": dict(provenance)}
    if first:
        log.info("ready: models loaded and matcher fitted in %.1f s (%s)", seconds, summary, extra=extra)
    else:
        log.info("matcher refitted in %.1f s (%s)", seconds, summary, extra=extra)


def _provenance_summary(p: Mapping[str, Any]) -> str:
    encoders = p.get("encoders")
    sha = str(p.get("catalogue_sha256", ""))[:12]
    parts = [
        f"matcher {p.get('matcher_version', '?')}",
        f"encoders {', '.join(map(str, encoders)) if isinstance(encoders, list) else encoders}",
        f"catalogue {p.get('catalogue_version', '?')} sha256 {sha}",
        f"{p.get('n_examples', '?')} examples, {p.get('n_feedback', '?')} of them feedback",
        f"{p.get('n_calibration', '?')} for calibration",
    ]
    return "; ".join(parts)


# -- set-up ---------------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record that passes the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


#: The attributes every LogRecord has; the others came with ``extra=`` and become JSON fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, pid, request id, message, the
    record's ``extra`` fields, and the traceback as ``exc_info`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "request_id": getattr(record, "request_id", NO_REQUEST),
            "message": record.getMessage(),
        }
        out |= {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a line is logged (a test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def configure(log_format: LogFormat = "text", level: str = "INFO") -> logging.Handler:
    """Send this process's log lines to stderr in ``log_format``; the service's own loggers at ``level``.

    Idempotent: a second call replaces the handler of the first. uvicorn's own lines ("Started
    server process", errors) go through the same handler, so a JSON log is JSON throughout once the
    application has started; uvicorn's access log is silenced, :class:`RequestIdMiddleware` writes
    a better one.
    """
    handler = _StderrHandler()
    handler.set_name("matcher")
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "matcher"]:
        root.removeHandler(old)
    root.addHandler(handler)
    for name in OWN_LOGGERS:  # root stays at WARNING: other libraries' INFO lines are not ours to show
        logging.getLogger(name).setLevel(level)
    server = logging.getLogger("uvicorn")
    if server.handlers:  # uvicorn configured its loggers (it is serving us): one format for all lines
        server.handlers = [handler]
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    return handler
