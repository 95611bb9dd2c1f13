"""Flask extensions, created unbound here and bound to an app in ``create_app``.

Nothing here reads configuration or opens connections at import time. The limiter deliberately
gets no ``storage_uri``: constructor arguments beat app config, and the storage must stay
swappable through ``RATELIMIT_STORAGE_URI``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import Flask, current_app, g
from flask_cors import CORS
from flask_limiter import ApplicationLimit, Limiter

from app.observability.metrics_report import HTTP_LATENCY, HTTP_REQUESTS
from app.observability.metrics_store import MetricsStore, MetricsStoreError
from app.observability.series import series_key
from app.request_context import client_address

log = logging.getLogger("app.metrics")

GaugeProvider = Callable[[], dict[str, float]]


@dataclass
class _MetricsState:
    store: MetricsStore
    window_seconds: int
    gauge_providers: list[GaugeProvider] = field(default_factory=list)


class Metrics:
    """Request and domain metrics, written to a store all workers share."""

    def init_app(self, app: Flask, store: MetricsStore, window_seconds: int) -> None:
        app.extensions["metrics"] = _MetricsState(store=store, window_seconds=window_seconds)

    @staticmethod
    def _state() -> _MetricsState:
        state: _MetricsState = current_app.extensions["metrics"]
        return state

    def add_gauge_provider(self, app: Flask, provider: GaugeProvider) -> None:
        app.extensions["metrics"].gauge_providers.append(provider)

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Count something in this request; written with the request's own metrics in one go."""
        pending: dict[str, float] = g.setdefault("metric_counters", {})
        key = series_key(name, labels)
        pending[key] = pending.get(key, 0.0) + value

    def observe(self, name: str, value: float, **labels: str) -> None:
        pending: dict[str, float] = g.setdefault("metric_observations", {})
        pending[series_key(name, labels)] = value

    def record_request(self, method: str, route: str, status: int, duration_ms: float) -> None:
        counters: dict[str, float] = dict(g.pop("metric_counters", {}))
        observations: dict[str, float] = dict(g.pop("metric_observations", {}))
        key = series_key(HTTP_REQUESTS, {"method": method, "route": route, "status": str(status)})
        counters[key] = counters.get(key, 0.0) + 1
        observations[series_key(HTTP_LATENCY, {"route": route})] = duration_ms
        try:
            self._state().store.record(counters, observations)
        except MetricsStoreError:
            # Losing one request's metrics is better than failing the request that produced them.
            log.warning("metrics store unavailable; request metrics dropped")

    def snapshot(self) -> tuple[dict[str, float], dict[str, list[float]], dict[str, float], int]:
        state = self._state()
        counters = state.store.counters()
        observations = state.store.observations(time.time() - state.window_seconds)
        gauges: dict[str, float] = {}
        for provider in state.gauge_providers:
            gauges.update(provider())
        return counters, observations, gauges, state.window_seconds


class AppScopedLimiter(Limiter):
    """Flask-Limiter keeps the first app's settings on the extension object; each ``init_app``
    starts from a clean slate so every app (tests, the CLI, several factories) gets its own config.
    Route exemptions and decorated limits, recorded at import time, are kept."""

    def init_app(self, app: Flask, application_limits: Sequence[ApplicationLimit] = ()) -> None:
        """Bind to ``app``; ``application_limits`` apply across all non-exempt routes (quotas)."""
        self._swallow_errors = None
        self._default_limits_exempt_when = None
        self._fail_on_first_breach = None
        self._headers_enabled = None
        self._key_prefix = ""
        self._strategy = None
        self._retry_after = None
        self._storage_options = {}
        self._in_memory_fallback = []
        self._in_memory_fallback_enabled = False
        self._storage_dead = False
        self._default_limits_per_method = None
        self.limit_manager.set_default_limits([])
        self.limit_manager.set_application_limits([])
        super().init_app(app)
        self.limit_manager.set_application_limits([limit.bind(self) for limit in application_limits])


limiter = AppScopedLimiter(key_func=client_address)
cors = CORS()
metrics = Metrics()
