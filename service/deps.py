"""Dependencies the routes declare: settings, the runtime, the admin key and the rate limits."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from matcher.catalogue import Catalogue
from service.settings import ServiceSettings, get_service_settings
from service.state import NotReady, Runtime
from service.throttle import WRONG_KEY, Throttle


def resolve_settings(app: FastAPI) -> ServiceSettings:
    """The settings the routes see: :func:`get_service_settings`, or the override a test or ``create_app`` set."""
    provider = app.dependency_overrides.get(get_service_settings, get_service_settings)
    return cast(ServiceSettings, provider())


async def get_runtime(request: Request) -> Runtime:
    """The runtime the lifespan started (``request.state`` is typed by :class:`service.state.AppState`).

    ``async`` only so that it runs on the event loop instead of taking a threadpool slot.
    """
    return cast(Runtime, request.state.runtime)


async def get_throttle(request: Request) -> Throttle:
    """This process's rate limits, which the lifespan set up."""
    return cast(Throttle, request.state.throttle)


def client_address(request: Request) -> str:
    """The address rate limits are counted by. Behind a reverse proxy, uvicorn puts the client's own
    address here when it trusts the proxy (``--forwarded-allow-ips``; by default one on 127.0.0.1)."""
    return request.client.host if request.client is not None else "unknown"


def catalogue_if_ready(runtime: Runtime) -> Catalogue | None:
    """The current catalogue, or ``None`` while the models load (the office's lists and files then
    name clusters by id rather than wait)."""
    try:
        return runtime.catalogue()
    except NotReady:
        return None


SettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
ThrottleDep = Annotated[Throttle, Depends(get_throttle)]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="The admin key (MATCHER_API_KEY): catalogue edits, the review queue and feedback.",
)
KeyDep = Annotated[str | None, Security(api_key_header)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "X-API-Key"})


def _check_key(key: str, expected: str, throttle: Throttle, client: str) -> None:
    """Let the right key through. A wrong one is a 401 and counts against the client's limit of
    wrong keys; past that limit every key, the right one too, is a 429 until the window moves on."""
    throttle.check(WRONG_KEY, client)
    if not secrets.compare_digest(key.encode(), expected.encode()):  # in constant time
        throttle.hit(WRONG_KEY, client)
        raise _unauthorized("wrong admin key")


async def require_admin(request: Request, settings: SettingsDep, throttle: ThrottleDep, key: KeyDep) -> None:
    """Let the request through only with the configured admin key."""
    expected = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not expected:
        raise _unauthorized("admin is disabled: the server has no MATCHER_API_KEY set")
    if not key:
        raise _unauthorized("this needs the admin key in the X-API-Key header")
    _check_key(key, expected, throttle, client_address(request))


Admin = Depends(require_admin)


def open_route(counted: str) -> Any:
    """The dependency of a route anyone may call, as ``Annotated[bool, open_route(...)]``: whether the
    caller holds the admin key. Without it, the caller's requests are counted against ``counted``'s
    rate limit per address (429 past it); a key sent must be the right one (401, as on admin routes).

    The key is read from the header without declaring it: the OpenAPI document would otherwise make
    it a security requirement of a route that needs none.
    """

    async def holds_admin_key(request: Request, settings: SettingsDep, throttle: ThrottleDep) -> bool:
        expected = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        key = request.headers.get(api_key_header.model.name)
        client = client_address(request)
        if key and expected:
            _check_key(key, expected, throttle, client)
            return True
        throttle.hit(counted, client)
        return False

    return Depends(holds_admin_key)
