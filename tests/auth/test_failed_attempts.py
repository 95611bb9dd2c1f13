"""Wrong tokens are counted per client address and refused with 429 past auth.failed_auth_quota,
before the token is looked up."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from app.config import ConfigError
from tests.conftest import bearer, issue_token

WRONG = bearer("cbt_" + "0" * 43)


def test_wrong_tokens_past_the_quota_get_429_without_a_lookup(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"failed_auth_quota": "3/minute"}})
    client = app.test_client()
    good = issue_token(app, "acme")
    seen = bearer(issue_token(app, "acme"))
    assert client.get("/usage", headers=seen).status_code == 200  # verified, so cached by the worker
    lookups: list[str] = []
    tokens = app.extensions["services"].tokens
    resolve = tokens._resolve  # the database lookup the verifier makes for a token it has not cached
    tokens._resolve = lambda presented: lookups.append(presented) or resolve(presented)
    assert [client.get("/usage", headers=WRONG).status_code for _ in range(3)] == [401, 401, 401]
    assert len(lookups) == 3
    refused = client.get("/usage", headers=WRONG)
    assert refused.status_code == 429 and len(lookups) == 3
    body = refused.get_json()
    assert body["code"] == "rate_limited" and "invalid API token" in body["message"] and body["request_id"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    # Malformed headers count too; a request without a token is not an attempt at one.
    assert client.get("/usage", headers={"Authorization": "Basic abc"}).status_code == 429
    assert client.get("/usage").status_code == 200
    # The address waits out the window, whatever token it sends next that would need a lookup; a
    # token the worker verified moments ago needs none and goes through.
    assert client.get("/usage", headers=bearer(good)).status_code == 429
    assert client.get("/usage", headers=seen).status_code == 200


def test_right_tokens_are_not_counted(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"failed_auth_quota": "2/minute"}})
    client = app.test_client()
    good = bearer(issue_token(app, "acme"))
    assert [client.get("/usage", headers=good).status_code for _ in range(5)] == [200] * 5
    assert client.get("/usage", headers=WRONG).status_code == 401


def test_the_count_is_shared_through_redis(
    app_factory: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    settings = {"auth": {"failed_auth_quota": "2/minute"},
                "ratelimit": {"storage_uri": redis_url, "key_prefix": redis_prefix}}
    first, second = app_factory(settings).test_client(), app_factory(settings).test_client()
    assert first.get("/usage", headers=WRONG).status_code == 401
    assert second.get("/usage", headers=WRONG).status_code == 401
    assert first.get("/usage", headers=WRONG).status_code == 429


def test_nothing_is_counted_with_rate_limiting_off(app_factory: Callable[..., Flask]) -> None:
    client = app_factory({"auth": {"failed_auth_quota": "1/minute"}, "ratelimit": {"enabled": False}}).test_client()
    assert [client.get("/usage", headers=WRONG).status_code for _ in range(3)] == [401] * 3


def test_a_bad_quota_is_a_config_problem(app_factory: Callable[..., Flask]) -> None:
    with pytest.raises(ConfigError) as info:
        app_factory({"auth": {"failed_auth_quota": "lots"}})
    assert any(p.startswith("auth.failed_auth_quota:") for p in info.value.problems)
