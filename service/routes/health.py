"""``/healthz`` (the process answers) and ``/readyz`` (the models are loaded)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from service.deps import RuntimeDep
from service.schemas import HealthPublic, ReadinessPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic)
async def healthz() -> HealthPublic:
    """Answers on the event loop, so it stays quick while every worker thread is matching."""
    return HealthPublic()


@router.get("/readyz", response_model=ReadinessPublic, responses={503: {"model": ReadinessPublic}})
async def readyz(runtime: RuntimeDep, response: Response) -> ReadinessPublic:
    """200 with the model provenance once the matcher is loaded; 503 while loading or after a failed load."""
    holder = runtime.holder
    if holder.status != "ready":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return ReadinessPublic(status=holder.status, detail=holder.error or "the models are still loading")
    matcher = holder.get()
    return ReadinessPublic(status="ready", clusters=len(matcher.classes_), provenance=matcher.provenance_)
