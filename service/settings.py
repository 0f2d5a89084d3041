"""The service's settings: the library's (:class:`matcher.settings.Settings`) and the HTTP ones.

Read from the same ``MATCHER_*`` environment variables or ``.env`` file; the routes inject
:func:`get_service_settings`, so tests can swap it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr

from matcher.settings import Settings
from service import throttle


def _rate_limit(value: str) -> str:
    throttle.parse_rate_limit(value)  # a ValueError names the value and the notation
    return value


def _case(convert: str) -> BeforeValidator:
    """Accept a setting's value in any case (``INFO``, ``info``)."""
    return BeforeValidator(lambda v: getattr(v, convert)() if isinstance(v, str) else v)


#: Requests per client address in the ``limits`` notation: ``"60/minute"``, ``"5/minute;20/hour"``.
RateLimit = Annotated[str, AfterValidator(_rate_limit)]


class ServiceSettings(Settings):
    """Where the service listens, its admin key and the limits on what a client may send."""

    api_key: SecretStr | None = Field(
        default=None, description="Admin key for catalogue edits and the office view; unset refuses them."
    )
    host: str = Field(default="127.0.0.1", description="Address `matcher serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `matcher serve` listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="Worker processes of `matcher serve`.")
    log_format: Annotated[Literal["text", "json"], _case("lower")] = Field(
        default="text", description="Log lines as plain text, or 'json': one JSON object a line, for a log collector."
    )
    log_level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], _case("upper")] = Field(
        default="INFO", description="The service's own log lines from this level up (DEBUG adds probes and scrapes)."
    )
    max_text_chars: int = Field(default=20_000, ge=1, description="The longest profile text accepted.")
    max_batch: int = Field(default=500, ge=1, description="The most profiles in one triage request.")
    max_body_bytes: int = Field(default=5_000_000, ge=1024, description="The largest request body accepted.")
    anonymous_max_batch: int = Field(
        default=20, ge=1, description="The most profiles in one triage request without the admin key."
    )
    rate_limit_match: RateLimit = Field(
        default="60/minute", description="POST /v1/match per client address; the admin key's holder goes free."
    )
    rate_limit_inquiries: RateLimit = Field(
        default="5/minute;20/hour", description="POST /v1/inquiries per client address (each one joins the queue)."
    )
    rate_limit_triage: RateLimit = Field(default="10/minute", description="POST /v1/triage per client address.")
    rate_limit_wrong_key: RateLimit = Field(
        default="10/15 minutes",
        description="Wrong admin keys per client address; past it, even the right key waits (429).",
    )

    def rate_limits(self) -> dict[str, str]:
        """The limits of :class:`service.throttle.Throttle`, by what they count."""
        return {
            throttle.MATCH: self.rate_limit_match,
            throttle.INQUIRIES: self.rate_limit_inquiries,
            throttle.TRIAGE: self.rate_limit_triage,
            throttle.WRONG_KEY: self.rate_limit_wrong_key,
        }


@lru_cache
def get_service_settings() -> ServiceSettings:
    return ServiceSettings()
