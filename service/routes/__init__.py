"""The routers: the versioned API under ``/v1``, health checks and the web pages."""

from __future__ import annotations

from fastapi import APIRouter

from service.routes import clusters, feedback, health, inquiries, match, pages, stats, triage

api_router = APIRouter(prefix="/v1")
for _module in (match, triage, clusters, inquiries, feedback, stats):
    api_router.include_router(_module.router)

__all__ = ["api_router", "health", "pages"]
