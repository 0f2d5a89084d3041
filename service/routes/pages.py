"""The web pages: ``/`` for companies, ``/office`` for the liaison office (plain HTML, CSS and JS)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

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


@router.api_route("/office/dashboard", methods=["GET", "HEAD"])
def office_dashboard() -> FileResponse:
    """The office view opened on its dashboard (the same page: it reads its path)."""
    return FileResponse(STATIC_DIR / "office.html", headers=PAGE_HEADERS)


#: Swagger UI (swagger-ui-dist 5.35.0, Apache-2.0) ships with the service: FastAPI's default loads
#: it from a CDN, which leaves ``/docs`` blank on a machine without internet.
SWAGGER_UI = "/static/vendor/swagger-ui"


@router.get("/docs")
def docs() -> HTMLResponse:
    """The API's interactive documentation."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Cluster Matcher API",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
    )


@router.get("/docs/oauth2-redirect")
def docs_oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
