"""GET /health and GET /ready."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from tests.services import own_redis_server


def test_health_reports_liveness(client: FlaskClient) -> None:
    body = client.get("/health").json or {}
    assert body["status"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["uptime_s"] >= 0


def test_ready_checks_storage(client: FlaskClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    checks = {c["name"]: c for c in (response.json or {})["checks"]}
    assert checks["storage"]["ok"] is True


def test_ready_includes_redis_when_configured(app_factory: Callable[..., Flask], redis_url: str) -> None:
    response = app_factory(REDIS_URL=redis_url).test_client().get("/ready")
    assert response.status_code == 200
    assert {c["name"] for c in (response.json or {})["checks"]} >= {"storage", "redis"}


def test_ready_is_503_when_a_required_dependency_fails(app_factory: Callable[..., Flask]) -> None:
    with own_redis_server() as (url, proc):
        app = app_factory(REDIS_URL=url, RATELIMIT_STORAGE_URI="memory://", APP__METRICS__BACKEND="sqlite")
        proc.kill()
        proc.wait()
        response = app.test_client().get("/ready")
    assert response.status_code == 503
    body = response.json or {}
    assert body["status"] == "unavailable"
    redis_check = next(c for c in body["checks"] if c["name"] == "redis")
    assert redis_check["ok"] is False
    assert "127.0.0.1" not in redis_check["detail"]
