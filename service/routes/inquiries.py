"""``/v1/inquiries``: companies' inquiries, routed and stored; the office's review queue and decisions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status

from service import export
from service.deps import Admin, RuntimeDep, catalogue_if_ready, open_route
from service.schemas import (
    DecisionCreate,
    ExportFormat,
    InquiriesPublic,
    InquiryCreate,
    InquiryFilters,
    InquiryPublic,
    responses,
)
from service.throttle import INQUIRIES

router = APIRouter(prefix="/inquiries", tags=["inquiries"])
InquiryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Filters = Annotated[InquiryFilters, Query()]
_EXPORTED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The inquiries as a file (Content-Disposition: attachment).",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in export.MEDIA_TYPES.values()},
    }
}


@router.post(
    "",
    response_model=InquiryPublic,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 413, 429, 503),
)
def create_inquiry(
    body: InquiryCreate, runtime: RuntimeDep, admin: Annotated[bool, open_route(INQUIRIES)]
) -> InquiryPublic:
    """Route an inquiry and store it; one that needs review joins the office's queue. Its sender gets
    its opaque ``ref``; the sequential ``id`` only with the admin key."""
    row = runtime.create_inquiry(body.text, body.contact)
    return InquiryPublic.of(row) if admin else InquiryPublic.anonymous(row)


@router.get("", response_model=InquiriesPublic, dependencies=[Admin], responses=responses(401, 429))
def list_inquiries(
    runtime: RuntimeDep,
    filters: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> InquiriesPublic:
    """Inquiries, newest first, a page at a time (admin); ``?status=needs_review`` is the review queue.
    Search, cluster, language and dates narrow the list; ``total`` counts the matches on every page."""
    where = filters.to_filter()
    rows = runtime.store.list_inquiries(limit=limit, offset=offset, where=where)
    return InquiriesPublic.of(rows, total=runtime.store.count_inquiries(where), limit=limit, offset=offset)


@router.get(
    "/export",
    response_class=Response,
    dependencies=[Admin],
    responses=_EXPORTED | responses(401, 429),
)
def export_inquiries(
    runtime: RuntimeDep,
    filters: Filters,
    fmt: Annotated[ExportFormat, Query(alias="format", description="csv (for Excel, Polish locale) or xlsx")] = "csv",
    names: Annotated[Literal["en", "pl"], Query(description="The language clusters are named in.")] = "en",
) -> Response:
    """Every inquiry that matches the filters (admin), newest first, as a file to download: the queue
    (``status=needs_review``), the officers' decisions (``status=decided``), or any other selection."""
    rows = runtime.store.list_inquiries(limit=None, where=filters.to_filter())
    body = export.export(rows, fmt, catalogue=catalogue_if_ready(runtime), lang=names)
    disposition = f'attachment; filename="{export.filename(fmt)}"'
    return Response(body, media_type=export.MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})


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
