"""The web pages: ``/`` for companies, ``/office`` for the liaison office (plain HTML, CSS and JS)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

#: The pages load nothing from elsewhere and run no inline script.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

router = APIRouter(include_in_schema=False)


@router.api_route("/", methods=["GET", "HEAD"])
def index() -> FileResponse:
    """A company pastes its profile and sees its clusters and why."""
    return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)


@router.api_route("/office", methods=["GET", "HEAD"])
def office() -> FileResponse:
    """The review queue; the page asks for the admin key and sends it with each API call."""
    return FileResponse(STATIC_DIR / "office.html", headers=PAGE_HEADERS)
