"""``python -m service`` (or ``matcher serve``): the service under uvicorn, as its settings say.

Host, port and workers come from ``MATCHER_HOST``, ``MATCHER_PORT`` and ``MATCHER_WORKERS`` (or a
``.env`` file); a setting that is wrong is one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from service.settings import ServiceSettings


def main() -> int:
    try:
        settings = ServiceSettings()
    except ValidationError as exc:
        problems = [
            f"MATCHER_{str(e['loc'][0]).upper()}: {e['msg']} (got {e.get('input')!r})" for e in exc.errors() if e["loc"]
        ]
        print("error: invalid setting: " + "; ".join(problems), file=sys.stderr)  # noqa: T201
        return 2
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
