"""``/v1/stats``: the office's dashboard figures (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.deps import Admin, RuntimeDep, catalogue_if_ready
from service.schemas import StatsPublic, responses
from service.stats import office_stats

router = APIRouter(prefix="/stats", tags=["inquiries"], dependencies=[Admin])


@router.get("", response_model=StatsPublic, responses=responses(401, 429))
def read_stats(
    runtime: RuntimeDep,
    weeks: Annotated[int, Query(ge=1, le=104, description="How many weeks, up to this one, to count.")] = 12,
    last: Annotated[int, Query(ge=1, le=10_000, description="How many of the latest decisions to read.")] = 200,
) -> StatsPublic:
    """Inquiries per week and per cluster, the share set aside for review, and how often officers
    agree with the matcher: over the last decisions, per language, and per score band (calibration)."""
    catalogue = catalogue_if_ready(runtime)
    ids = catalogue.ids if catalogue is not None else ()
    return office_stats(runtime.store, weeks=weeks, last=last, cluster_ids=ids)
