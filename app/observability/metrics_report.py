"""Turns raw metric store contents into the JSON report and the Prometheus text exposition.

HTTP traffic is stored as ``http_requests_total{method,route,status}`` counters and
``http_request_duration_ms{route}`` observations; any other counter or observation series (chat
stages, safety blocks, cache hits) is reported generically, and gauges come from providers asked
at scrape time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from app.observability.series import parse_series

HTTP_REQUESTS = "http_requests_total"
HTTP_LATENCY = "http_request_duration_ms"
QUANTILES = (0.5, 0.95, 0.99)


def latency_summary(values: list[float]) -> dict[str, float | int | None]:
    """count, avg, p50, p95, p99 (ms) of ``values``; ``None`` statistics when there are none."""
    if not values:
        return {"count": 0, "avg": None, "p50": None, "p95": None, "p99": None}
    ordered = sorted(values)
    summary: dict[str, float | int | None] = {
        "count": len(ordered),
        "avg": round(sum(ordered) / len(ordered), 3),
    }
    for q in QUANTILES:
        summary[f"p{round(q * 100)}"] = round(_quantile(ordered, q), 3)
    return summary


def _quantile(ordered: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (the numpy default)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def json_report(
    counters: Mapping[str, float],
    observations: Mapping[str, list[float]],
    gauges: Mapping[str, float],
    window_seconds: int,
) -> dict[str, object]:
    totals = {"requests_total": 0, "errors_total": 0, "client_errors_total": 0, "rate_limited_total": 0}
    routes: dict[str, dict[str, object]] = defaultdict(lambda: {"requests_total": 0})
    other_counters: dict[str, float] = {}
    for key, value in counters.items():
        name, labels = parse_series(key)
        if name != HTTP_REQUESTS:
            other_counters[key] = value
            continue
        count = int(value)
        status = int(labels.get("status", "0"))
        totals["requests_total"] += count
        totals["errors_total"] += count if status >= 500 else 0
        totals["client_errors_total"] += count if 400 <= status < 500 else 0
        totals["rate_limited_total"] += count if status == 429 else 0
        route = routes[labels.get("route", "")]
        route["requests_total"] = int(str(route["requests_total"])) + count

    all_latencies: list[float] = []
    other_observations: dict[str, dict[str, float | int | None]] = {}
    for key, values in observations.items():
        name, labels = parse_series(key)
        if name == HTTP_LATENCY:
            all_latencies.extend(values)
            routes[labels.get("route", "")]["latency_ms"] = latency_summary(values)
        else:
            other_observations[key] = latency_summary(values)
    for route in routes.values():
        route.setdefault("latency_ms", latency_summary([]))
    return {
        **totals,
        "window_seconds": window_seconds,
        "latency_ms": latency_summary(all_latencies),
        "routes": dict(sorted(routes.items())),
        "counters": dict(sorted(other_counters.items())),
        "observations": dict(sorted(other_observations.items())),
        "gauges": dict(sorted(gauges.items())),
    }


class _SnapshotCollector:
    """A prometheus_client collector over one snapshot of the store."""

    def __init__(
        self,
        counters: Mapping[str, float],
        observations: Mapping[str, list[float]],
        gauges: Mapping[str, float],
    ) -> None:
        self._counters = counters
        self._observations = observations
        self._gauges = gauges

    def collect(self) -> Iterable[Metric]:
        yield from _families(self._counters, CounterMetricFamily, "total")
        yield from _families(self._gauges, GaugeMetricFamily, "")
        quantile_families: dict[str, GaugeMetricFamily] = {}
        for key, values in sorted(self._observations.items()):
            name, labels = parse_series(key)
            family = quantile_families.get(name)
            if family is None:
                family = GaugeMetricFamily(
                    f"{name}_window", f"{name} percentiles over the rolling window",
                    labels=[*sorted(labels), "quantile"],
                )
                quantile_families[name] = family
            summary = latency_summary(values)
            for q in QUANTILES:
                value = summary[f"p{round(q * 100)}"]
                family.add_metric([*(labels[k] for k in sorted(labels)), str(q)], float(value or 0.0))
        yield from quantile_families.values()


def _families(
    series: Mapping[str, float], family_type: type[CounterMetricFamily] | type[GaugeMetricFamily], suffix: str
) -> Iterable[Metric]:
    grouped: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for key, value in series.items():
        name, labels = parse_series(key)
        grouped[name].append((labels, value))
    for name, items in sorted(grouped.items()):
        base = name[: -len("_" + suffix)] if suffix and name.endswith("_" + suffix) else name
        label_names = sorted({k for labels, _ in items for k in labels})
        family = family_type(base, f"{base} (all workers)", labels=label_names)
        for labels, value in items:
            family.add_metric([labels.get(k, "") for k in label_names], value)
        yield family


def prometheus_text(
    counters: Mapping[str, float],
    observations: Mapping[str, list[float]],
    gauges: Mapping[str, float],
) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_SnapshotCollector(counters, observations, gauges))
    return generate_latest(registry)
