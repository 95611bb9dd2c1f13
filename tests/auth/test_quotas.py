"""Quotas as Flask-Limiter limits: per tenant (shared by its tokens), per token, per anonymous IP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.conftest import bearer, issue_token


def _app(app_factory: Callable[..., Flask], **ratelimit: Any) -> Flask:
    return app_factory({"ratelimit": {"default": "1000/minute", **ratelimit}})


def test_tenant_quota_is_shared_by_its_tokens(app_factory: Callable[..., Flask]) -> None:
    app = _app(app_factory)
    first = issue_token(app, "acme", tenant_quota="3/minute")
    second = issue_token(app, "acme")
    other = issue_token(app, "globex", tenant_quota="3/minute")
    client = app.test_client()
    statuses = [client.get("/usage", headers=bearer(t)).status_code for t in (first, second, first, second)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/usage", headers=bearer(other)).status_code == 200  # another tenant's own quota


def test_429_carries_retry_after_and_ratelimit_headers(app_factory: Callable[..., Flask]) -> None:
    app = _app(app_factory)
    token = issue_token(app, "acme", tenant_quota="2/minute")
    client = app.test_client()
    ok = [client.post("/chat/feedback", json={"turn_id": "x", "rating": "up"}, headers=bearer(token))
          for _ in range(2)]
    assert [r.status_code for r in ok] == [404, 404]  # counted although the turn does not exist
    assert ok[1].headers["X-RateLimit-Limit"] == "2" and ok[1].headers["X-RateLimit-Remaining"] == "0"
    limited = client.get("/usage", headers=bearer(token))  # the quota spans every route
    assert limited.status_code == 429
    body = limited.get_json()
    assert body["code"] == "rate_limited" and body["request_id"]
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Limit"] == "2"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert "X-RateLimit-Reset" in limited.headers


def test_token_quota_applies_on_top_of_the_tenant_quota(app_factory: Callable[..., Flask]) -> None:
    app = _app(app_factory)
    tight = issue_token(app, "acme", quota="2/minute", tenant_quota="100/minute")
    loose = issue_token(app, "acme")
    client = app.test_client()
    assert [client.get("/usage", headers=bearer(tight)).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/usage", headers=bearer(loose)).status_code == 200


def test_default_tenant_quota_comes_from_configuration(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"default_tenant_quota": "2/minute"}})
    token = issue_token(app, "acme")
    client = app.test_client()
    assert [client.get("/usage", headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 429]


def test_token_callers_are_not_held_to_per_ip_limits(app_factory: Callable[..., Flask]) -> None:
    app = _app(app_factory, default="2/minute")
    token = issue_token(app, "acme", tenant_quota="10/minute")
    client = app.test_client()
    assert all(client.get("/usage", headers=bearer(token)).status_code == 200 for _ in range(5))
    assert [client.get("/usage").status_code for _ in range(3)] == [200, 200, 429]


def test_anonymous_quota_is_per_ip_across_routes(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"anonymous_quota": "3/minute"}, "ratelimit": {"default": "1000/minute"}})
    client = app.test_client()
    statuses = [client.get("/usage").status_code, client.get("/info").status_code,
                client.get("/usage").status_code, client.get("/info").status_code]
    assert statuses == [200, 200, 200, 429]
    other_ip = client.get("/usage", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert other_ip.status_code == 200


def test_quotas_hold_across_apps_on_redis(
    app_factory: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    overrides = {"ratelimit": {"storage_uri": redis_url, "key_prefix": redis_prefix}}
    first = app_factory(overrides)
    token = issue_token(first, "acme", tenant_quota="3/minute")
    second = app_factory(overrides)  # another "worker": same database, same Redis
    statuses = [first.test_client().get("/usage", headers=bearer(token)).status_code for _ in range(2)]
    statuses += [second.test_client().get("/usage", headers=bearer(token)).status_code for _ in range(2)]
    assert statuses == [200, 200, 200, 429]
