"""``POST /v1/triage``: a batch of profiles in, one triage line each (as ``matcher triage`` writes them)."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import RuntimeDep
from service.schemas import TriageLinesPublic, TriageRequest, responses

router = APIRouter(prefix="/triage", tags=["match"])


@router.post("", response_model=TriageLinesPublic, responses=responses(413, 503))
def triage(body: TriageRequest, runtime: RuntimeDep) -> TriageLinesPublic:
    """Route up to MATCHER_MAX_BATCH profiles at once; a larger batch is a 422."""
    lines = runtime.triage([(p.id, p.text) for p in body.profiles])
    return TriageLinesPublic.model_validate({"data": lines, "count": len(lines)})
