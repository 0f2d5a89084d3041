"""One replica of the service, in a process of its own, for tests/service/test_replicas.py.

    python tests/service/replica.py PORT

The real application and store (``create_app``, settings from the ``MATCHER_*`` environment:
database URL, admin key, cache folder, labelled profiles), with the tests' hashing encoder instead
of the models, so a replica is ready in seconds. Serves 127.0.0.1:PORT until it is stopped, or
killed: being killed is what the tests do to it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project: tests.conftest's encoder

import uvicorn  # noqa: E402

from matcher.encoders import Encoder  # noqa: E402
from matcher.estimator import Matcher  # noqa: E402
from matcher.store import Store  # noqa: E402
from service.main import create_app  # noqa: E402
from service.settings import ServiceSettings  # noqa: E402
from service.state import fit_matcher  # noqa: E402
from tests.conftest import HashingEncoder  # noqa: E402


def main(port: int) -> None:
    encoder = HashingEncoder()

    def factory(settings: ServiceSettings, store: Store, encoders: Sequence[Encoder] | None) -> Matcher:
        return fit_matcher(settings, store, [encoder])

    settings = ServiceSettings(_env_file=None)  # type: ignore[call-arg]  # the environment only
    app = create_app(settings, matcher_factory=factory)  # the default stale check: every 2 s
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]))
