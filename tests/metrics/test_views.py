"""GET /metrics: JSON totals and percentiles, and the Prometheus exposition."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def test_json_counts_and_latency(probe_app_factory: Callable[..., Flask]) -> None:
    client = probe_app_factory().test_client()
    for _ in range(3):
        client.get("/health")
    client.get("/missing")
    client.get("/boom")
    body = client.get("/metrics").json or {}
    assert body["requests_total"] == 5
    assert body["client_errors_total"] == 1
    assert body["errors_total"] == 1
    assert body["rate_limited_total"] == 0
    health = body["routes"]["/health"]
    assert health["requests_total"] == 3
    assert health["latency_ms"]["count"] == 3
    stats = body["latency_ms"]
    assert stats["count"] == 5
    assert 0 <= stats["p50"] <= stats["p95"] <= stats["p99"]
    assert body["window_seconds"] == 300


def test_prometheus_text_by_accept_header_or_query(client: FlaskClient) -> None:
    client.get("/health")
    by_accept = client.get("/metrics", headers={"Accept": "text/plain"})
    by_query = client.get("/metrics?format=prometheus")
    for response in (by_accept, by_query):
        assert response.mimetype == "text/plain"
        text = response.get_data(as_text=True)
        assert '# TYPE http_requests_total counter' in text
        assert 'http_requests_total{method="GET",route="/health",status="200"} 1.0' in text
        assert 'http_request_duration_ms_window{quantile="0.95",route="/health"}' in text


def test_gauge_providers_are_reported(app: Flask) -> None:
    from app.extensions import metrics

    metrics.add_gauge_provider(app, lambda: {"probe_gauge": 2.0})
    body = app.test_client().get("/metrics").json or {}
    assert body["gauges"]["probe_gauge"] == 2.0
    # The knowledge base reports its own gauges (stale documents, index age, cache hits/misses).
    assert {"kb_stale_documents", "kb_index_age_seconds", "kb_cache_hits", "kb_cache_misses"} <= set(body["gauges"])


def test_redis_backend_shares_counts_between_apps(
    app_factory: Callable[..., Flask], redis_url: str, redis_prefix: str
) -> None:
    env = {"REDIS_URL": redis_url, "APP__RATELIMIT__KEY_PREFIX": redis_prefix}
    first = app_factory(**env).test_client()
    second = app_factory(**env).test_client()
    first.get("/health")
    second.get("/health")
    body = first.get("/metrics").json or {}
    assert body["routes"]["/health"]["requests_total"] == 2
