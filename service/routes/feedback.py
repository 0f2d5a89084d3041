"""``/v1/feedback``: the labelled profiles the matcher learns from (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from service.deps import Admin, RuntimeDep
from service.schemas import FeedbackCreate, FeedbackPublic, FeedbacksPublic, responses

router = APIRouter(prefix="/feedback", tags=["feedback"], dependencies=[Admin])
FeedbackId = Annotated[int, Path(ge=1, le=2**31 - 1)]
_ALREADY_STORED: dict[int | str, dict[str, Any]] = {
    200: {"description": "Already stored: the active feedback with this text and labels."}
}


@router.get("", response_model=FeedbacksPublic, responses=responses(401, 429))
def list_feedback(runtime: RuntimeDep, include_withdrawn: bool = False) -> FeedbacksPublic:
    """Feedback, oldest first: officers' decisions, imports and API additions."""
    return FeedbacksPublic.of(runtime.store.list_feedback(include_withdrawn=include_withdrawn))


@router.post(
    "",
    response_model=FeedbackPublic,
    status_code=status.HTTP_201_CREATED,
    responses=_ALREADY_STORED | responses(401, 413, 429, 503),
)
def add_feedback(body: FeedbackCreate, runtime: RuntimeDep, response: Response) -> FeedbackPublic:
    """A labelled profile (``["none"]`` or ``[]`` for out of scope); answered once stored, then learned
    by a background refit. Sending one already stored and active (same text, same labels) changes
    nothing: 200 and that row."""
    row, created = runtime.add_feedback(body.text, body.labels)
    if not created:
        response.status_code = status.HTTP_200_OK
    return FeedbackPublic.of(row)


@router.delete("/{feedback_id}", response_model=FeedbackPublic, responses=responses(401, 404, 429))
def withdraw_feedback(feedback_id: FeedbackId, runtime: RuntimeDep) -> FeedbackPublic:
    """Withdraw feedback: it is kept for the record but no longer learned from. Withdrawing an
    officer's decision also puts its inquiry back in the queue it came from."""
    return FeedbackPublic.of(runtime.withdraw_feedback(feedback_id))
