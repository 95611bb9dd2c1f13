"""Rate limits: JSON 429s with headers, exemptions, Redis storage, fail-open and fail-closed."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask

from tests.services import own_redis_server


def test_limit_gives_json_429_with_headers(probe_app_factory: Callable[..., Flask]) -> None:
    client = probe_app_factory({"ratelimit": {"default": "2/minute"}}).test_client()
    ok = [client.get("/probe") for _ in range(2)]
    limited = client.get("/probe", headers={"X-Request-ID": "rl-1"})
    assert [r.status_code for r in ok] == [200, 200]
    assert ok[0].headers["X-RateLimit-Limit"] == "2"
    assert ok[1].headers["X-RateLimit-Remaining"] == "0"
    assert limited.status_code == 429
    body = limited.json or {}
    assert body["code"] == "rate_limited" and body["status"] == 429 and body["request_id"] == "rl-1"
    assert int(limited.headers["Retry-After"]) > 0
    assert "X-RateLimit-Reset" in limited.headers
    assert limited.headers["X-Content-Type-Options"] == "nosniff"
    assert limited.headers["X-Request-ID"] == "rl-1"


def test_operational_endpoints_are_exempt(probe_app_factory: Callable[..., Flask]) -> None:
    client = probe_app_factory({"ratelimit": {"default": "1/minute"}}).test_client()
    for path in ("/health", "/ready", "/metrics"):
        assert all(client.get(path).status_code == 200 for _ in range(3)), path


def test_limits_can_be_disabled(probe_app_factory: Callable[..., Flask]) -> None:
    client = probe_app_factory(APP__RATELIMIT__ENABLED="false", APP__RATELIMIT__DEFAULT="1/minute").test_client()
    assert all(client.get("/probe").status_code == 200 for _ in range(3))


def test_rate_limited_requests_are_counted(probe_app_factory: Callable[..., Flask]) -> None:
    client = probe_app_factory({"ratelimit": {"default": "1/minute"}}).test_client()
    client.get("/probe")
    client.get("/probe")
    metrics = client.get("/metrics").json or {}
    assert metrics["rate_limited_total"] == 1
    assert metrics["client_errors_total"] == 1


def test_redis_storage_shares_limits_between_apps(
    probe_app_factory: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    overrides = {"ratelimit": {"default": "3/minute", "storage_uri": redis_url, "key_prefix": redis_prefix}}
    first = probe_app_factory(overrides).test_client()
    statuses = [first.get("/probe").status_code for _ in range(2)]
    second = probe_app_factory(overrides).test_client()  # another "worker" on the same Redis
    statuses += [second.get("/probe").status_code for _ in range(2)]
    assert statuses == [200, 200, 200, 429]


def test_redis_down_fail_open_serves_with_memory_fallback(
    probe_app_factory: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    with own_redis_server() as (url, proc):
        app = probe_app_factory(
            {"ratelimit": {"default": "2/minute", "storage_uri": url, "on_storage_error": "open"}}
        )
        client = app.test_client()
        assert client.get("/probe").status_code == 200
        proc.kill()
        proc.wait()
        with caplog.at_level(logging.WARNING):
            statuses = [client.get("/probe").status_code for _ in range(3)]
    # The in-memory fallback still enforces the default limit, per process.
    assert statuses[:2] == [200, 200]
    assert statuses[2] == 429
    assert any("falling back to in-memory" in r.getMessage() for r in caplog.records)


def test_redis_down_fail_closed_gives_json_503(probe_app_factory: Callable[..., Flask]) -> None:
    with own_redis_server() as (url, proc):
        app = probe_app_factory(
            {"ratelimit": {"default": "5/minute", "storage_uri": url, "on_storage_error": "closed"}}
        )
        client = app.test_client()
        assert client.get("/probe").status_code == 200
        proc.kill()
        proc.wait()
        response = client.get("/probe")
    assert response.status_code == 503
    body = response.json or {}
    assert body["code"] == "service_unavailable"
    assert body["request_id"]
    assert "redis" not in response.get_data(as_text=True).lower()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
