"""Dependencies the routes declare: settings, the runtime, and the admin key."""

from __future__ import annotations

import secrets
from typing import Annotated, cast

from fastapi import Depends, FastAPI, HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader

from service.settings import ServiceSettings, get_service_settings
from service.state import Runtime


def resolve_settings(app: FastAPI) -> ServiceSettings:
    """The settings the routes see: :func:`get_service_settings`, or the override a test or ``create_app`` set."""
    provider = app.dependency_overrides.get(get_service_settings, get_service_settings)
    return cast(ServiceSettings, provider())


async def get_runtime(request: Request) -> Runtime:
    """The runtime the lifespan started (``request.state`` is typed by :class:`service.state.AppState`).

    ``async`` only so that it runs on the event loop instead of taking a threadpool slot.
    """
    return cast(Runtime, request.state.runtime)


SettingsDep = Annotated[ServiceSettings, Depends(get_service_settings)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="The admin key (MATCHER_API_KEY): catalogue edits, the review queue and feedback.",
)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "X-API-Key"})


def require_admin(settings: SettingsDep, key: Annotated[str | None, Security(api_key_header)]) -> None:
    """Let the request through only with the configured admin key (compared in constant time)."""
    expected = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not expected:
        raise _unauthorized("admin is disabled: the server has no MATCHER_API_KEY set")
    if not key:
        raise _unauthorized("this needs the admin key in the X-API-Key header")
    if not secrets.compare_digest(key.encode(), expected.encode()):
        raise _unauthorized("wrong admin key")


Admin = Depends(require_admin)
