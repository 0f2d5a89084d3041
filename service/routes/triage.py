"""``POST /v1/triage``: a batch of profiles in, one triage line each (as ``matcher triage`` writes them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from service.deps import RuntimeDep, open_route
from service.schemas import TriageLinesPublic, TriageRequest, responses
from service.throttle import TRIAGE

router = APIRouter(prefix="/triage", tags=["match"])


@router.post("", response_model=TriageLinesPublic, responses=responses(401, 413, 429, 503))
def triage(body: TriageRequest, runtime: RuntimeDep, admin: Annotated[bool, open_route(TRIAGE)]) -> TriageLinesPublic:
    """Route up to MATCHER_ANONYMOUS_MAX_BATCH profiles at once, or MATCHER_MAX_BATCH with the admin
    key; a larger batch is a 422."""
    lines, provenance = runtime.triage([(p.id, p.text) for p in body.profiles], anonymous=not admin)
    return TriageLinesPublic.model_validate({"data": lines, "count": len(lines), "provenance": provenance})
