"""``/v1/inquiries``: companies' inquiries, routed and stored; the office's review queue and decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from service.deps import Admin, RuntimeDep, open_route
from service.schemas import DecisionCreate, InquiriesPublic, InquiryCreate, InquiryPublic, Status, responses
from service.throttle import INQUIRIES

router = APIRouter(prefix="/inquiries", tags=["inquiries"])
InquiryId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post(
    "",
    response_model=InquiryPublic,
    status_code=status.HTTP_201_CREATED,
    dependencies=[open_route(INQUIRIES)],
    responses=responses(401, 413, 429, 503),
)
def create_inquiry(body: InquiryCreate, runtime: RuntimeDep) -> InquiryPublic:
    """Route an inquiry and store it; one that needs review joins the office's queue."""
    return InquiryPublic.of(runtime.create_inquiry(body.text, body.contact))


@router.get("", response_model=InquiriesPublic, dependencies=[Admin], responses=responses(401, 429))
def list_inquiries(
    runtime: RuntimeDep,
    inquiry_status: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> InquiriesPublic:
    """Inquiries, newest first (admin); ``?status=needs_review`` is the review queue."""
    return InquiriesPublic.of(runtime.store.list_inquiries(status=inquiry_status, limit=limit, offset=offset))


@router.get("/{inquiry_id}", response_model=InquiryPublic, dependencies=[Admin], responses=responses(401, 404, 429))
def read_inquiry(inquiry_id: InquiryId, runtime: RuntimeDep) -> InquiryPublic:
    """One inquiry (admin: it holds a company's text and contact, and ids are sequential)."""
    return InquiryPublic.of(runtime.store.get_inquiry(inquiry_id))


@router.post(
    "/{inquiry_id}/decision",
    response_model=InquiryPublic,
    dependencies=[Admin],
    responses=responses(401, 404, 413, 429, 503),
)
def decide_inquiry(inquiry_id: InquiryId, body: DecisionCreate, runtime: RuntimeDep) -> InquiryPublic:
    """An officer confirms or corrects the routing (admin); it becomes feedback the matcher learns from."""
    return InquiryPublic.of(runtime.decide(inquiry_id, body.clusters))
