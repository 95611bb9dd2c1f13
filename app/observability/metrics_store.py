"""Metric stores shared by every worker process of a deployment.

Gunicorn forks several workers, so per-process counters would each see a fraction of the traffic.
Counters and latency observations therefore live in a store every worker writes to: Redis when
the deployment has it (shared across hosts too), otherwise a SQLite file under the instance folder
(shared by the workers of one host). Connections are opened lazily per process and thread, so a
store created before gunicorn forks is safe to use after.

Raises:
    MetricsStoreError: the backing store failed; callers on the request path log and carry on.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import redis

# Latency percentiles need the raw observations of the window; beyond this many the oldest are
# dropped so a scrape stays cheap under heavy traffic.
MAX_OBSERVATIONS = 100_000


class MetricsStoreError(RuntimeError):
    """The metrics backend could not be read or written."""


class MetricsStore(Protocol):
    def record(self, counters: Mapping[str, float], observations: Mapping[str, float]) -> None: ...

    def counters(self) -> dict[str, float]: ...

    def observations(self, since: float) -> dict[str, list[float]]: ...

    def ping(self) -> bool: ...


class SqliteMetricsStore:
    """Counters and windowed observations in one SQLite file (WAL, so readers never block writers)."""

    def __init__(self, path: Path, window_seconds: float) -> None:
        self._path = path
        self._window = window_seconds
        self._local = threading.local()
        self._writes = 0

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            return conn
        self._path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, timeout=10.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # Metrics may lose the last few writes on a power cut; they must not cost an fsync per request.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("CREATE TABLE IF NOT EXISTS counters (series TEXT PRIMARY KEY, value REAL NOT NULL)")
        conn.execute("CREATE TABLE IF NOT EXISTS observations (ts REAL NOT NULL, series TEXT, value REAL)")
        conn.execute("CREATE INDEX IF NOT EXISTS observations_ts ON observations (ts)")
        self._local.conn = conn
        self._local.pid = os.getpid()
        return conn

    def record(self, counters: Mapping[str, float], observations: Mapping[str, float]) -> None:
        now = time.time()
        try:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(
                "INSERT INTO counters (series, value) VALUES (?, ?) "
                "ON CONFLICT(series) DO UPDATE SET value = value + excluded.value",
                list(counters.items()),
            )
            conn.executemany(
                "INSERT INTO observations (ts, series, value) VALUES (?, ?, ?)",
                [(now, s, v) for s, v in observations.items()],
            )
            self._writes += 1
            if self._writes % 500 == 0:
                conn.execute("DELETE FROM observations WHERE ts < ?", (now - self._window,))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise MetricsStoreError(f"sqlite metrics write failed: {exc.__class__.__name__}") from exc

    def counters(self) -> dict[str, float]:
        try:
            rows = self._conn().execute("SELECT series, value FROM counters").fetchall()
        except sqlite3.Error as exc:
            raise MetricsStoreError("sqlite metrics read failed") from exc
        return {series: float(value) for series, value in rows}

    def observations(self, since: float) -> dict[str, list[float]]:
        try:
            rows = self._conn().execute(
                "SELECT series, value FROM observations WHERE ts >= ? ORDER BY ts DESC LIMIT ?",
                (since, MAX_OBSERVATIONS),
            ).fetchall()
        except sqlite3.Error as exc:
            raise MetricsStoreError("sqlite metrics read failed") from exc
        grouped: dict[str, list[float]] = defaultdict(list)
        for series, value in rows:
            grouped[series].append(float(value))
        return dict(grouped)

    def ping(self) -> bool:
        try:
            self._conn().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True


class RedisMetricsStore:
    """Counters in a Redis hash, observations in a Redis stream trimmed to the window."""

    def __init__(self, client: redis.Redis[bytes], key_prefix: str, window_seconds: float) -> None:
        self._client = client
        self._counters_key = f"{key_prefix}:metrics:counters"
        self._stream_key = f"{key_prefix}:metrics:observations"
        self._window = window_seconds

    def record(self, counters: Mapping[str, float], observations: Mapping[str, float]) -> None:
        min_id = int((time.time() - self._window) * 1000)
        try:
            pipe = self._client.pipeline(transaction=False)
            for series, value in counters.items():
                pipe.hincrbyfloat(self._counters_key, series, value)
            for series, value in observations.items():
                pipe.xadd(self._stream_key, {"s": series, "v": repr(value)}, minid=min_id, approximate=True)
            pipe.execute()
        except redis.RedisError as exc:
            raise MetricsStoreError(f"redis metrics write failed: {exc.__class__.__name__}") from exc

    def counters(self) -> dict[str, float]:
        try:
            raw: dict[Any, Any] = self._client.hgetall(self._counters_key)
        except redis.RedisError as exc:
            raise MetricsStoreError("redis metrics read failed") from exc
        return {_text(k): float(_text(v)) for k, v in raw.items()}

    def observations(self, since: float) -> dict[str, list[float]]:
        try:
            entries: list[Any] = self._client.xrevrange(
                self._stream_key, max="+", min=str(int(since * 1000)), count=MAX_OBSERVATIONS
            )
        except redis.RedisError as exc:
            raise MetricsStoreError("redis metrics read failed") from exc
        grouped: dict[str, list[float]] = defaultdict(list)
        for _entry_id, fields in entries:
            decoded = {_text(k): _text(v) for k, v in fields.items()}
            grouped[decoded["s"]].append(float(decoded["v"]))
        return dict(grouped)

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
