"""GET /usage: the caller's own quotas, used and remaining per window."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from tests.conftest import bearer, issue_token


def test_usage_reports_each_window_of_each_quota(app_factory: Callable[..., Flask]) -> None:
    app = app_factory()
    token = issue_token(app, "acme", quota="5/minute", tenant_quota="10/minute;100/day")
    other = issue_token(app, "acme")
    client = app.test_client()
    client.get("/usage", headers=bearer(token))
    client.get("/usage", headers=bearer(other))
    body = client.get("/usage", headers=bearer(token)).get_json()
    assert (body["tenant"], body["role"]) == ("acme", "user") and body["request_id"]
    windows = {(w["quota"], w["window_seconds"]): w for w in body["windows"]}
    assert set(windows) == {("token", 60), ("tenant", 60), ("tenant", 86400)}
    # This request counts: two by this token, one by the tenant's other token.
    assert (windows[("token", 60)]["used"], windows[("token", 60)]["remaining"]) == (2, 3)
    assert (windows[("tenant", 60)]["used"], windows[("tenant", 60)]["remaining"]) == (3, 7)
    assert windows[("tenant", 86400)]["amount"] == 100 and windows[("tenant", 86400)]["used"] == 3
    assert all(w["reset_at"] > 0 for w in body["windows"])


def test_anonymous_usage_shows_the_per_ip_quota(app_factory: Callable[..., Flask]) -> None:
    client = app_factory({"auth": {"anonymous_quota": "50/hour"}}).test_client()
    client.get("/info")
    body = client.get("/usage").get_json()
    (window,) = body["windows"]
    assert (window["quota"], window["amount"], window["used"], window["remaining"]) == ("anonymous", 50, 2, 48)


def test_usage_is_empty_when_limits_are_off(app_factory: Callable[..., Flask]) -> None:
    client = app_factory({"ratelimit": {"enabled": False}}).test_client()
    assert client.get("/usage").get_json()["windows"] == []
