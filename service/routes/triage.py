"""``POST /v1/triage``: a batch of profiles in, one triage line each (as ``matcher triage`` writes them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from service.deps import RuntimeDep, open_route
from service.schemas import TriageLinesPublic, TriageRequest, responses
from service.throttle import TRIAGE

router = APIRouter(prefix="/triage", tags=["match"])

#: The status logged when the client went away before its batch was done (nginx's "client closed request").
CLIENT_GONE = 499


@router.post("", response_model=TriageLinesPublic, responses=responses(401, 413, 429, 503))
async def triage(
    body: TriageRequest, request: Request, runtime: RuntimeDep, admin: Annotated[bool, open_route(TRIAGE)]
) -> TriageLinesPublic | Response:
    """Route up to MATCHER_ANONYMOUS_MAX_BATCH profiles at once, or MATCHER_MAX_BATCH with the admin
    key; a larger batch is a 422. The batch is matched a chunk at a time, and matching stops when the
    client has gone."""
    chunks, provenance = await run_in_threadpool(
        runtime.triage_chunks, [(p.id, p.text) for p in body.profiles], anonymous=not admin
    )
    lines = []
    for chunk in chunks:
        if await request.is_disconnected():
            return Response(status_code=CLIENT_GONE)  # nobody reads it; the logs and metrics show it
        lines.extend(await run_in_threadpool(chunk))
    return TriageLinesPublic.model_validate({"data": lines, "count": len(lines), "provenance": provenance})
