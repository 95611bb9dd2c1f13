"""Authentication: bearer tokens, anonymous mode, revocation and expiry taking effect at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, Response, jsonify
from flask.testing import FlaskClient

from tests.conftest import bearer, issue_token


def _assert_401(response: Response, error: str | None = None) -> None:
    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == "unauthorized" and body["status"] == 401 and body["request_id"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    if error:
        assert f'error="{error}"' in challenge


def test_anonymous_callers_are_refused_when_not_allowed(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"allow_anonymous": False}})
    client = app.test_client()
    _assert_401(client.post("/chat", json={"message": "hello"}))
    _assert_401(client.get("/usage"))
    assert client.get("/health").status_code == 200  # probes stay public
    token = issue_token(app, "acme")
    assert client.get("/usage", headers=bearer(token)).status_code == 200


def test_anonymous_callers_are_users_without_tenant_when_allowed(client: FlaskClient) -> None:
    body = client.get("/usage").get_json()
    assert (body["tenant"], body["role"], body["token_id"]) == ("", "user", None)


def test_bad_tokens_get_401_even_when_anonymous_is_allowed(app: Flask, client: FlaskClient) -> None:
    token = issue_token(app, "acme")
    _assert_401(client.get("/usage", headers=bearer(token[:-2] + "zz")), "invalid_token")
    _assert_401(client.get("/usage", headers=bearer("cbt_" + "A" * 43)), "invalid_token")
    _assert_401(client.get("/usage", headers={"Authorization": f"Basic {token}"}), "invalid_token")
    _assert_401(client.get("/usage", headers={"Authorization": "Bearer "}), "invalid_token")
    assert client.get("/usage", headers=bearer(token)).get_json()["tenant"] == "acme"


def test_revocation_applies_to_the_next_request(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"token_cache_seconds": 0}})
    client = app.test_client()
    token = issue_token(app, "acme")
    assert client.get("/usage", headers=bearer(token)).status_code == 200
    (info,) = app.extensions["services"].access.tokens()
    result = app.test_cli_runner().invoke(args=["tokens", "revoke", str(info.id)])
    assert result.exit_code == 0, result.output
    _assert_401(client.get("/usage", headers=bearer(token)), "invalid_token")


def test_revocation_reaches_other_workers_within_the_cache_ttl(app_factory: Callable[..., Flask]) -> None:
    worker_a = app_factory({"auth": {"token_cache_seconds": 0.5}})
    worker_b = app_factory({"auth": {"token_cache_seconds": 0.5}})  # same database, own cache
    token = issue_token(worker_a, "acme")
    client_b = worker_b.test_client()
    assert client_b.get("/usage", headers=bearer(token)).status_code == 200
    (info,) = worker_a.extensions["services"].access.tokens()
    worker_a.extensions["services"].access.revoke_token(info.id)
    time.sleep(0.6)
    _assert_401(client_b.get("/usage", headers=bearer(token)), "invalid_token")


def test_expired_tokens_get_401(app: Flask, client: FlaskClient) -> None:
    token = issue_token(app, "acme", expires_in=timedelta(seconds=1))
    assert client.get("/usage", headers=bearer(token)).status_code == 200
    time.sleep(1.1)
    # Within the cache TTL (5 s by default): the cached expiry is honoured without the database.
    _assert_401(client.get("/usage", headers=bearer(token)), "invalid_token")


def test_routes_without_a_declared_requirement_are_refused(app: Flask) -> None:
    @app.get("/undeclared")
    def undeclared() -> Response:
        return jsonify({"secret": True})

    response = app.test_client().get("/undeclared")
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_metrics_access_follows_configuration(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"auth": {"metrics_access": "admin"}})
    client = app.test_client()
    assert client.get("/metrics").status_code == 403  # anonymous callers are plain users
    user, admin = issue_token(app, "acme"), issue_token(app, "acme", "admin")
    assert client.get("/metrics", headers=bearer(user)).status_code == 403
    assert client.get("/metrics", headers=bearer(admin)).status_code == 200
