"""Request ids, security headers, CORS, access logging and client addresses."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient


def test_valid_inbound_request_id_is_echoed(client: FlaskClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "semi;colon", "ünïcode"])
def test_unsafe_inbound_request_id_is_replaced(client: FlaskClient, bad: str) -> None:
    response = client.get("/health", headers={"X-Request-ID": bad})
    assert response.headers["X-Request-ID"] != bad
    assert len(response.headers["X-Request-ID"]) == 32


def test_error_body_carries_the_same_request_id(client: FlaskClient) -> None:
    response = client.get("/missing", headers={"X-Request-ID": "req-42"})
    assert response.json is not None
    assert response.json["request_id"] == "req-42"


@pytest.mark.parametrize("path", ["/health", "/missing", "/metrics"])
def test_security_headers_on_every_response(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_and_header_values_come_from_config(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"security": {"hsts_enabled": True, "hsts_max_age": 600, "frame_options": "SAMEORIGIN"}})
    response = app.test_client().get("/health")
    assert response.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_cors_allow_list(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"security": {"cors_origins": ["https://good.example"]}})
    client = app.test_client()
    good = client.get("/health", headers={"Origin": "https://good.example"})
    bad = client.get("/health", headers={"Origin": "https://evil.example"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://good.example"
    assert "Access-Control-Allow-Origin" not in bad.headers


def _access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "app.access"]


def test_access_line_fields_without_query_string(
    app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = app_factory({"logging": {"access_log": True, "level": "INFO"}})
    logging.getLogger("app").addHandler(caplog.handler)
    try:
        app.test_client().get("/health?token=secret-query", headers={"X-Request-ID": "rid-1"})
    finally:
        logging.getLogger("app").removeHandler(caplog.handler)
    (record,) = _access_records(caplog)
    fields = vars(record)
    assert fields["request_id"] == "rid-1"
    assert fields["method"] == "GET"
    assert fields["route"] == "/health"
    assert fields["status"] == 200
    assert fields["duration_ms"] >= 0
    assert fields["client"] == "127.0.0.1"
    assert "secret-query" not in json.dumps({k: str(v) for k, v in fields.items()})


def test_forwarded_for_is_ignored_without_trusted_proxies(client: FlaskClient) -> None:
    # A spoofed header must not change the client address used for limits and logs.
    with client.application.test_request_context(
        "/", headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.1"}
    ):
        from app.request_context import client_address

        assert client_address() == "10.0.0.1"


def test_forwarded_for_is_honoured_with_one_trusted_proxy(probe_app_factory: Callable[..., Flask]) -> None:
    app = probe_app_factory({"server": {"trusted_proxies": 1}, "ratelimit": {"default": "1/minute"}})
    client = app.test_client()
    first = client.get("/probe", headers={"X-Forwarded-For": "203.0.113.9"})
    second = client.get("/probe", headers={"X-Forwarded-For": "203.0.113.10"})
    third = client.get("/probe", headers={"X-Forwarded-For": "203.0.113.10"})
    # Different forwarded clients get their own budget; the same one is limited.
    assert first.status_code == 200
    assert second.status_code == 200
    assert third.status_code == 429
