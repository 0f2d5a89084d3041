"""The service's settings: the library's (:class:`matcher.settings.Settings`) and the HTTP ones.

Read from the same ``MATCHER_*`` environment variables or ``.env`` file; the routes inject
:func:`get_service_settings`, so tests can swap it.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from matcher.settings import Settings


class ServiceSettings(Settings):
    """Where the service listens, its admin key and the limits on what a client may send."""

    api_key: SecretStr | None = Field(
        default=None, description="Admin key for catalogue edits and the office view; unset refuses them."
    )
    host: str = Field(default="127.0.0.1", description="Address `matcher serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `matcher serve` listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="Worker processes of `matcher serve`.")
    max_text_chars: int = Field(default=20_000, ge=1, description="The longest profile text accepted.")
    max_batch: int = Field(default=500, ge=1, description="The most profiles in one triage request.")
    max_body_bytes: int = Field(default=5_000_000, ge=1024, description="The largest request body accepted.")


@lru_cache
def get_service_settings() -> ServiceSettings:
    return ServiceSettings()
