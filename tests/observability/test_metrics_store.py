"""Both metric stores keep exact counts and windowed observations."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from app.observability.metrics_report import latency_summary
from app.observability.metrics_store import MetricsStore, RedisMetricsStore, SqliteMetricsStore
from app.observability.series import parse_series, series_key


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MetricsStore:
    if request.param == "sqlite":
        return SqliteMetricsStore(tmp_path / "m.sqlite3", window_seconds=60)
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return RedisMetricsStore(redis.Redis.from_url(url), prefix, window_seconds=60)


def test_counters_accumulate(store: MetricsStore) -> None:
    for _ in range(5):
        store.record({"a_total": 1, 'b_total{x="1"}': 2}, {})
    assert store.counters() == {"a_total": 5.0, 'b_total{x="1"}': 10.0}


def test_observations_respect_the_window(store: MetricsStore) -> None:
    store.record({}, {"lat": 1.0})
    store.record({}, {"lat": 3.0})
    assert sorted(store.observations(time.time() - 60)["lat"]) == [1.0, 3.0]
    assert store.observations(time.time() + 5) == {}
    assert store.ping() is True


def test_series_keys_round_trip() -> None:
    key = series_key("x_total", {"route": '/a"b', "status": "200"})
    assert parse_series(key) == ("x_total", {"route": '/a"b', "status": "200"})
    assert series_key("plain") == "plain"


def test_latency_summary_percentiles() -> None:
    summary = latency_summary([float(v) for v in range(1, 101)])
    assert summary["count"] == 100
    assert summary["p50"] == pytest.approx(50.5)
    assert summary["p99"] == pytest.approx(99.01)
    assert latency_summary([])["p95"] is None
