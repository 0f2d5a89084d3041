"""Property-based tests from the OpenAPI schema: no server errors, no response that breaks the schema.

Schemathesis' fixture-based loader (``schemathesis.pytest.from_fixture``) fails on pytest 9.2
(it sets ``request.node._nodeid``), so the schema is loaded eagerly from ``app.openapi()`` and its
calls go through :class:`_Deferred` to the app the module fixture builds on a temporary database.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from starlette.types import ASGIApp, Receive, Scope, Send

from service.main import create_app
from service.settings import ServiceSettings

ADMIN_KEY = "schemathesis-admin-key"
#: Small limits keep generated batches and texts cheap; the schema documents the same ones.
LIMITS = {"max_text_chars": 2000, "max_batch": 20, "api_key": ADMIN_KEY}
#: Bodies naming clusters by id: a well-formed id that names no cluster is a 422 by design (tested
#: in test_routes_*), and the catalogue changes at run time, so the schema cannot enumerate the ids.
CLUSTER_REFERENCES = {"POST /v1/inquiries/{inquiry_id}/decision", "POST /v1/feedback"}
#: Queries with a date range: a range whose end is not after its start is a 422 by design (tested in
#: test_office_api), a rule between two parameters that the schema cannot state.
DATE_RANGES = {"GET /v1/inquiries", "GET /v1/inquiries/export"}


class _Deferred:
    """An ASGI app that forwards to ``target``, which a fixture sets before the first call."""

    target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None, "the api_app fixture sets the target"
        await self.target(scope, receive, send)


_proxy = _Deferred()
schema = schemathesis.openapi.from_dict(
    create_app(ServiceSettings(_env_file=None, **LIMITS)).openapi(),  # type: ignore[call-arg]
    config=SchemathesisConfig.from_dict({"auth": {"openapi": {"APIKeyHeader": {"api_key": ADMIN_KEY}}}}),
)
schema.app = _proxy


@pytest.fixture(scope="module", autouse=True)
def api_app(tmp_path_factory: pytest.TempPathFactory, small_matcher, settings_in) -> None:
    """The app under test: the small matcher and its own database."""
    app_settings = settings_in(tmp_path_factory.mktemp("schemathesis"), **LIMITS)
    _proxy.target = create_app(app_settings, matcher_factory=lambda s, store, encoders: small_matcher)


@pytest.fixture(autouse=True)
def ready(api_app: None) -> None:
    """Schemathesis ends the app's lifespan after each test; the first call here starts it again.

    Wait for the matcher, so that no generated case meets the 503 of a service still loading.
    """
    readyz = schema["/readyz"]["GET"]
    deadline = time.monotonic() + 30
    while readyz.Case().call().status_code != 200:
        assert time.monotonic() < deadline, "the app under test never became ready"
        time.sleep(0.02)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    excluded = [positive_data_acceptance] if case.operation.label in CLUSTER_REFERENCES | DATE_RANGES else []
    case.call_and_validate(excluded_checks=excluded)
