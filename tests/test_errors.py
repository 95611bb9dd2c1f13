"""Every error is the same JSON shape, with no internals."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.errors import refused_request_response
from tests.services import parse_raw_response

SHAPE = {"code", "status", "message", "request_id"}


@pytest.fixture
def probe_client(probe_app_factory: Callable[..., Flask]) -> FlaskClient:
    return probe_app_factory({"server": {"max_body_bytes": 1024}}).test_client()


def _assert_shape(body: dict[str, object], status: int, code: str) -> None:
    assert set(body) >= SHAPE
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"]


def test_404(probe_client: FlaskClient) -> None:
    response = probe_client.get("/nope")
    assert response.status_code == 404
    _assert_shape(response.json or {}, 404, "not_found")


def test_405_keeps_allow_header(probe_client: FlaskClient) -> None:
    response = probe_client.delete("/health")
    assert response.status_code == 405
    _assert_shape(response.json or {}, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_413_for_large_bodies(probe_client: FlaskClient) -> None:
    response = probe_client.post("/echo", json={"name": "x" * 5000})
    assert response.status_code == 413
    _assert_shape(response.json or {}, 413, "payload_too_large")


def test_chunked_bodies_under_the_limit_pass(probe_client: FlaskClient) -> None:
    # Chunked: no Content-Length; the server marks the stream as ending on its own. (Over the limit:
    # tests/test_gunicorn.py, where the server cuts the stream as deployed.)
    small = io.BytesIO(json.dumps({"name": "ok"}).encode())
    response = probe_client.post("/echo", input_stream=small, content_type="application/json",
                                 environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 200 and response.json == {"name": "ok"}


def test_415_for_non_json(probe_client: FlaskClient) -> None:
    response = probe_client.post("/echo", data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    _assert_shape(response.json or {}, 415, "unsupported_media_type")


def test_400_for_malformed_json(probe_client: FlaskClient) -> None:
    response = probe_client.post("/echo", data="{not json", content_type="application/json")
    assert response.status_code == 400
    _assert_shape(response.json or {}, 400, "bad_request")


def test_400_for_json_nested_too_deeply(probe_app_factory: Callable[..., Flask]) -> None:
    client = probe_app_factory({"server": {"max_body_bytes": 100_000}}).test_client()
    # Well under the body limit, but deeper than the JSON decoder recurses.
    response = client.post("/echo", data="[" * 20_000 + "]" * 20_000, content_type="application/json")
    assert response.status_code == 400
    _assert_shape(response.json or {}, 400, "bad_request")
    assert "nested too deeply" in (response.json or {})["message"]


@pytest.mark.parametrize("body", ['{"name": "a \\ud800 b"}', '{"name": "\\udfff"}', '{"\\ud83d": "x"}'])
def test_400_for_json_strings_that_are_not_unicode(probe_client: FlaskClient, body: str) -> None:
    # A lone half of a surrogate pair is valid JSON syntax, but no encoder downstream takes it.
    response = probe_client.post("/echo", data=body, content_type="application/json")
    assert response.status_code == 400
    _assert_shape(response.json or {}, 400, "bad_request")
    assert "surrogate" in (response.json or {})["message"]


def test_escaped_surrogate_pairs_are_text(probe_client: FlaskClient) -> None:
    response = probe_client.post("/echo", data='{"name": "\\ud83d\\ude00"}', content_type="application/json")
    assert response.status_code == 200
    assert response.json == {"name": "\U0001F600"}


def test_422_names_the_field(probe_client: FlaskClient) -> None:
    response = probe_client.post("/echo", json={"nam": "x"})
    assert response.status_code == 422
    body = response.json or {}
    _assert_shape(body, 422, "validation_error")
    assert "name" in body["errors"]


def test_500_hides_internals(probe_client: FlaskClient) -> None:
    response = probe_client.get("/boom")
    assert response.status_code == 500
    body = response.json or {}
    _assert_shape(body, 500, "internal_error")
    text = response.get_data(as_text=True)
    for leak in ("secret detail", "/etc/passwd", "SELECT", "Traceback", "RuntimeError"):
        assert leak not in text
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_503_when_the_database_is_unreachable(app_factory: Callable[..., Flask]) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    app = app_factory(migrate=False, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/test")
    response = app.test_client().post("/chat", json={"message": "hello"})
    assert response.status_code == 503
    _assert_shape(response.json or {}, 503, "service_unavailable")
    assert "127.0.0.1" not in response.get_data(as_text=True)


def test_503_when_the_metrics_store_is_unreachable(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"ratelimit": {"enabled": False}}, REDIS_URL="redis://127.0.0.1:1/0")
    client = app.test_client()
    assert client.get("/health").status_code == 200  # its request metrics are dropped, not its answer
    response = client.get("/metrics")
    assert response.status_code == 503
    _assert_shape(response.json or {}, 503, "service_unavailable")
    assert (response.json or {})["message"] == "Metrics are temporarily unavailable."


def test_valid_body_passes(probe_client: FlaskClient) -> None:
    response = probe_client.post("/echo", json={"name": "ok"})
    assert response.status_code == 200
    assert response.json == {"name": "ok"}


@pytest.mark.parametrize(
    ("status", "code", "status_line"),
    [(400, "bad_request", "HTTP/1.1 400 Bad Request"),
     (431, "header_fields_too_large", "HTTP/1.1 431 Request Header Fields Too Large"),
     (599, "http_error", "HTTP/1.1 599 Error")],
)
def test_a_request_refused_before_flask_gets_the_same_shape(
    status: int, code: str, status_line: str, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("app.errors")
    logger.addHandler(caplog.handler)  # the app's loggers do not propagate to the root's capture
    try:
        raw = refused_request_response(status, {"X-Content-Type-Options": "nosniff"})
    finally:
        logger.removeHandler(caplog.handler)
    line, headers, body = parse_raw_response(raw)
    payload = json.loads(body)
    logged = [r for r in caplog.records if r.getMessage() == "request_refused"]
    assert {(r.request_id, r.status) for r in logged} == {(payload["request_id"], status)}
    assert line == status_line
    _assert_shape(payload, status, code)
    assert headers["x-request-id"] == payload["request_id"]
    assert headers["content-type"] == "application/json" and int(headers["content-length"]) == len(body)
    assert headers["connection"] == "close" and headers["x-content-type-options"] == "nosniff"
    assert refused_request_response(status, {}) != raw  # a new request id each time


def test_the_app_offers_its_refusal_response_with_its_security_headers(app: Flask) -> None:
    _, headers, body = parse_raw_response(app.extensions["refused_request_response"](414))
    _assert_shape(json.loads(body), 414, "uri_too_long")
    assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
