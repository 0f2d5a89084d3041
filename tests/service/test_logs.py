"""Request ids (X-Request-ID in and out, on every log line), the access line, the ready line, JSON logs."""

from __future__ import annotations

import json
import logging
import re
import sys

import pytest

from service import logs
from service.main import create_app


def test_every_answer_has_a_request_id(client):
    first, second = client.get("/healthz"), client.get("/v1/clusters/no-such-cluster")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert second.status_code == 404
    assert re.fullmatch(r"[0-9a-f]{32}", second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["abc-123", "0f3c9a2e5d6b4c1a8e7f9b0d2c4a6e8f", "trace:7/span=2"])
def test_a_sane_incoming_id_is_echoed(client, incoming):
    response = client.post("/v1/match", json={"text": ""}, headers={"X-Request-ID": incoming})
    assert response.status_code == 422  # answers that are errors carry it too
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["", "has space", "x" * 129, "-leading-dash", 'quote"d', "new\tline"])
def test_an_insane_incoming_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_the_access_line_carries_the_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="service.access")
    client.get("/v1/clusters/hvac?lang=pl", headers={"X-Request-ID": "trace-42"})
    (line,) = [r for r in caplog.records if r.name == "service.access" and r.request_id == "trace-42"]
    assert (line.method, line.path, line.status) == ("GET", "/v1/clusters/hvac", 200)  # no query string
    assert "GET /v1/clusters/hvac" in line.getMessage()
    assert line.duration_ms >= 0


def test_probes_are_logged_at_debug(client, caplog):
    caplog.set_level(logging.DEBUG, logger="service.access")
    client.get("/healthz")
    (line,) = [r for r in caplog.records if r.name == "service.access" and r.path == "/healthz"]
    assert line.levelno == logging.DEBUG


def test_the_ready_line_is_logged(settings, small_matcher, running, caplog):
    caplog.set_level(logging.INFO, logger="service")
    with running(create_app(settings, matcher_factory=lambda settings, store, encoders: small_matcher)):
        pass
    (ready,) = [r for r in caplog.records if r.getMessage().startswith("ready: ")]
    assert ready.event == "ready"
    assert ready.seconds >= 0
    assert ready.provenance == small_matcher.provenance_
    assert small_matcher.provenance_["catalogue_sha256"][:12] in ready.getMessage()
    assert "models loaded and matcher fitted in" in ready.getMessage()


def test_lines_logged_while_handling_a_request_carry_its_id(make_settings, fixed_factory, running, capsys):
    """Also in the threadpool, where plain ``def`` routes run; here in text format, on stderr."""
    app = create_app(make_settings(log_format="text"), matcher_factory=fixed_factory)

    @app.get("/test-log-line")
    def log_a_line() -> dict[str, str]:
        logging.getLogger("service.test").warning("inside the route")
        return {}

    with running(app) as client:
        assert client.get("/test-log-line", headers={"X-Request-ID": "req-7"}).status_code == 200
    err = capsys.readouterr().err
    assert re.search(r"WARNING service\.test \[pid \d+\] \[req-7\] inside the route", err), err
    assert re.search(r'INFO service\.access \[pid \d+\] \[req-7\] testclient "GET /test-log-line" 200', err), err


def test_json_lines(make_settings, small_matcher, running, capsys):
    app = create_app(make_settings(log_format="json"), matcher_factory=lambda settings, store, encoders: small_matcher)
    with running(app) as client:
        client.get("/v1/clusters", headers={"X-Request-ID": "json-1"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    (access,) = [line for line in lines if line["logger"] == "service.access" and line["request_id"] == "json-1"]
    assert access["method"] == "GET" and access["path"] == "/v1/clusters" and access["status"] == 200
    assert access["level"] == "INFO" and access["time"].endswith("+00:00")
    (ready,) = [line for line in lines if line.get("event") == "ready"]
    assert ready["request_id"] == "-"
    assert ready["provenance"]["catalogue_sha256"] == small_matcher.provenance_["catalogue_sha256"]


def test_json_formatter_keeps_the_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("service.x", logging.ERROR, __file__, 1, "failed: %s", ("it",), exc_info)
    logs.RequestIdFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "failed: it"
    assert line["request_id"] == "-"
    assert "ValueError: boom" in line["exc_info"]


def test_configure_is_idempotent():
    before = logging.getLogger().handlers[:]
    try:
        logs.configure("text")
        handler = logs.configure("json")
        ours = [h for h in logging.getLogger().handlers if h.get_name() == "matcher"]
        assert ours == [handler]
        assert isinstance(handler.formatter, logs.JsonFormatter)
    finally:
        logging.getLogger().handlers = before


@pytest.mark.parametrize("value", ["JSON", "json", "Text"])
def test_the_log_format_setting(make_settings, value):
    assert make_settings(log_format=value).log_format == value.lower()
