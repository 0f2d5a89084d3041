"""Per-client rate limits: on the routes anyone may call, and on wrong admin keys.

The counting is the ``limits`` library's moving window (at most N requests in any stretch of the
window's length), kept in this process's memory: with several workers or replicas, each counts
on its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

#: What a limit is counted for: the open routes, and admin keys that were wrong.
MATCH = "POST /v1/match"
INQUIRIES = "POST /v1/inquiries"
TRIAGE = "POST /v1/triage"
WRONG_KEY = "wrong admin key"


class RateLimited(Exception):
    """A client over one of its limits (answered with 429 and ``Retry-After``)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


def parse_rate_limit(spec: str) -> list[RateLimitItem]:
    """``"60/minute"`` or ``"5/minute;20/hour"`` (the ``limits`` notation) as rate-limit items.

    Raises:
        ValueError: ``spec`` is not in that notation.
    """
    try:
        return parse_many(spec)
    except ValueError:
        raise ValueError(f"{spec!r} is not a rate limit such as '60/minute' or '5/minute;20/hour'") from None


class Throttle:
    """Moving-window limits per client address, one set for each thing counted.

    Args:
        limits: For each thing counted (:data:`MATCH`, ..., :data:`WRONG_KEY`), its limits in the
            ``limits`` notation.

    Example:
        >>> throttle = Throttle({MATCH: "1/minute"})
        >>> throttle.hit(MATCH, "10.0.0.7")
        >>> try:
        ...     throttle.hit(MATCH, "10.0.0.7")
        ... except RateLimited as exc:
        ...     print(exc.detail)
        too many requests to POST /v1/match from this address (the limit is 1 per 1 minute); try again in 60 s
    """

    def __init__(self, limits: Mapping[str, str]) -> None:
        self._items = {counted: parse_rate_limit(spec) for counted, spec in limits.items()}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, counted: str, client: str) -> None:
        """Count one ``counted`` for ``client``; :class:`RateLimited` (not counted) when over a limit."""
        for item in self._items[counted]:
            if not self._limiter.hit(item, counted, client):
                raise self._refusal(item, counted, client)

    def check(self, counted: str, client: str) -> None:
        """:class:`RateLimited` when ``client`` has used up a limit of ``counted``; counts nothing."""
        for item in self._items[counted]:
            if not self._limiter.test(item, counted, client):
                raise self._refusal(item, counted, client)

    def _refusal(self, item: RateLimitItem, counted: str, client: str) -> RateLimited:
        reset_at = self._limiter.get_window_stats(item, counted, client).reset_time
        wait = max(1, math.ceil(reset_at - time.time()))
        what = "wrong admin keys" if counted == WRONG_KEY else f"requests to {counted}"
        detail = f"too many {what} from this address (the limit is {item}); try again in {wait} s"
        return RateLimited(detail, wait)
