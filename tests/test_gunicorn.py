"""Real gunicorn with two workers: metrics and rate limits hold across workers."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import bearer, issue_token
from tests.services import gunicorn_server, parse_raw_response

pytestmark = pytest.mark.slow


def _get(url: str) -> int:
    return _fetch(url)[0]


def _fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as response:
            return int(response.status), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def _metrics(base: str) -> dict[str, object]:
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        body: dict[str, object] = json.load(response)
    return body


def _base_env(tmp_path: Path) -> dict[str, str]:
    return {"APP_ENV": "testing", "APP_INSTANCE_PATH": str(tmp_path / "instance")}


def test_metrics_cover_all_workers(tmp_path: Path) -> None:
    n = 60
    with gunicorn_server(_base_env(tmp_path)) as base, ThreadPoolExecutor(8) as pool:
        before = _metrics(base)  # the start-up probe already hit /health
        statuses = list(pool.map(lambda _: _get(base + "/info"), range(n)))
        after = _metrics(base)
    assert statuses == [200] * n
    assert "/info" not in before["routes"]  # type: ignore[operator]
    routes = after["routes"]
    assert isinstance(routes, dict)
    assert routes["/info"]["requests_total"] == n
    assert routes["/info"]["latency_ms"]["count"] == n
    # Everything since the first scrape: n requests plus that scrape itself.
    assert after["requests_total"] == before["requests_total"] + n + 1  # type: ignore[operator]


def test_a_chunked_body_over_the_limit_is_refused_as_too_large(tmp_path: Path) -> None:
    # No Content-Length to refuse up front: gunicorn stops reading at the limit, and the cut-off JSON
    # must not pass for a syntax error.
    limit = 4096
    body = json.dumps({"message": "x" * 3 * limit}).encode()
    # Several chunks, sent in one write: the server answers and closes once it has read the limit, and
    # a client still writing then would see the connection reset instead of the answer.
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1024]), body[i:i + 1024])
                       for i in range(0, len(body), 1024)) + b"0\r\n\r\n"
    env = {**_base_env(tmp_path), "APP__SERVER__MAX_BODY_BYTES": str(limit)}
    with gunicorn_server(env) as base:
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
        conn.request("POST", "/chat", body=chunked,
                     headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        response = conn.getresponse()
        payload = json.loads(response.read())
        conn.close()
    assert response.status == 413 and payload["code"] == "payload_too_large" and payload["request_id"]


def _raw_exchange(base: str, request: bytes) -> tuple[int, dict[str, str], dict[str, object]]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        raw = b"".join(iter(lambda: sock.recv(65536), b""))
    status_line, headers, body = parse_raw_response(raw)
    return int(status_line.split()[1]), headers, json.loads(body)


def test_requests_gunicorn_refuses_get_the_json_error_shape(tmp_path: Path) -> None:
    # Refused before the app runs: a header over gunicorn's size limit, a request line it cannot
    # parse, a URI over its length limit. None may echo the input.
    refused = {
        431: b"GET /health HTTP/1.1\r\nHost: x\r\nX-Secret: " + b"s" * 9000 + b"\r\n\r\n",
        400: b"SECRET-TOKEN-123\r\n\r\n",
        414: b"GET /" + b"s" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    with gunicorn_server(_base_env(tmp_path), workers=1) as base:
        answers = {status: _raw_exchange(base, request) for status, request in refused.items()}
    for status, (got, headers, payload) in answers.items():
        assert got == status and payload["status"] == status
        assert headers["content-type"] == "application/json"
        assert payload["request_id"] and headers["x-request-id"] == payload["request_id"]
        assert headers["x-content-type-options"] == "nosniff"
        assert "SECRET" not in json.dumps(payload) and "sss" not in json.dumps(payload)


def test_a_body_gunicorn_cannot_read_is_a_400_in_json(tmp_path: Path) -> None:
    # gunicorn finds a malformed chunk size only when the app reads the body: it was a 500.
    request = (b"POST /chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\nSECRET\r\n")
    with gunicorn_server(_base_env(tmp_path), workers=1) as base:
        status, headers, payload = _raw_exchange(base, request)
    assert status == 400 and payload["code"] == "bad_request" and payload["request_id"]
    assert headers["x-request-id"] == payload["request_id"] and "SECRET" not in json.dumps(payload)


def test_redis_limit_is_exact_across_workers(tmp_path: Path, redis_url: str, redis_prefix: str) -> None:
    limit = 25
    env = {
        **_base_env(tmp_path),
        "RATELIMIT_STORAGE_URI": redis_url,
        "APP__RATELIMIT__KEY_PREFIX": redis_prefix,
        "APP__RATELIMIT__DEFAULT": f"{limit}/minute",
    }
    with gunicorn_server(env) as base, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: _get(base + "/info"), range(limit + 15)))
    assert statuses.count(200) == limit
    assert statuses.count(429) == 15


def test_tenant_quota_is_exact_across_workers_on_redis(
    tmp_path: Path, app_factory: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    quota, sent = 5, 12
    # The same instance folder (database) and secret key as the gunicorn workers below.
    token = issue_token(app_factory(), "acme", tenant_quota=f"{quota}/minute")
    env = {**_base_env(tmp_path), "RATELIMIT_STORAGE_URI": redis_url, "APP__RATELIMIT__KEY_PREFIX": redis_prefix}
    with gunicorn_server(env) as base, ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: _fetch(base + "/usage", bearer(token)), range(sent)))
        anonymous = _get(base + "/usage")
    statuses = [status for status, _ in results]
    assert statuses.count(200) == quota
    assert statuses.count(429) == sent - quota
    for status, headers in results:
        if status == 429:
            assert 0 < int(headers["Retry-After"]) <= 60
            assert headers["X-RateLimit-Limit"] == str(quota) and headers["X-RateLimit-Remaining"] == "0"
    assert anonymous == 200  # the tenant's quota is the tenant's, not the host's
