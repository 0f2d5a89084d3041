"""Health answers and the documented error responses and limits of the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
)

from service.schemas.matching import MatchRequest, TriageProfile, TriageRequest
from service.schemas.office import FeedbackCreate, InquiryCreate
from service.schemas.types import (
    Message,
)

# -- health ---------------------------------------------------------------------------------------


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"


class ReadinessPublic(BaseModel):
    status: Literal["ready", "loading", "failed"]
    detail: str | None = None
    clusters: int | None = None
    provenance: dict[str, Any] | None = None


# -- documented error responses -------------------------------------------------------------------

_ERRORS = {
    401: "Missing or wrong X-API-Key, or admin disabled (no MATCHER_API_KEY)",
    404: "Unknown cluster, inquiry or feedback",
    409: "The change would leave the catalogue empty",
    413: "Request body over MATCHER_MAX_BODY_BYTES",
    429: "Too many requests from this address, or too many wrong admin keys; the Retry-After header says when to retry",
    503: "The models are still loading",
}


def document_limits(openapi: dict[str, Any], *, max_text_chars: int, max_batch: int) -> dict[str, Any]:
    """Write the configured text and batch limits into the OpenAPI document (they are settings, not constants)."""
    components = openapi["components"]["schemas"]
    for model in (MatchRequest, TriageProfile, InquiryCreate, FeedbackCreate):
        components[model.__name__]["properties"]["text"]["maxLength"] = max_text_chars
    components[TriageRequest.__name__]["properties"]["profiles"]["maxItems"] = max_batch
    return openapi


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error codes, each a :class:`Message`."""
    return {code: {"model": Message, "description": _ERRORS[code]} for code in codes}
