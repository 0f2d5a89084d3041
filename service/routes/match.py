"""``POST /v1/match``: one profile in, every cluster ranked with the decision and why."""

from __future__ import annotations

from fastapi import APIRouter

from service.deps import RuntimeDep, open_route
from service.schemas import MatchPublic, MatchRequest, responses
from service.throttle import MATCH

router = APIRouter(prefix="/match", tags=["match"])


@router.post("", response_model=MatchPublic, dependencies=[open_route(MATCH)], responses=responses(401, 413, 429, 503))
def match(body: MatchRequest, runtime: RuntimeDep) -> MatchPublic:
    """Rank the clusters for a profile (English or Polish), decide the routing and explain the top ``top_k``."""
    result, catalogue = runtime.match(body.text, top_k=body.top_k)
    return MatchPublic.of(result, catalogue, top_k=body.top_k)
