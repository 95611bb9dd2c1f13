"""GET /metrics: JSON by default; Prometheus text for ``Accept: text/plain`` or ``?format=prometheus``."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from app.auth.requires import requires
from app.extensions import limiter, metrics
from app.observability.metrics_report import json_report, prometheus_text

bp = Blueprint("metrics", __name__)


def _wants_prometheus() -> bool:
    if request.args.get("format") == "prometheus":
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/plain"])
    return best == "text/plain" and request.accept_mimetypes["text/plain"] > request.accept_mimetypes[
        "application/json"
    ]


@bp.get("/metrics")
@limiter.exempt
@requires("metrics")
def metrics_endpoint() -> Response:
    counters, observations, gauges, window = metrics.snapshot()
    if _wants_prometheus():
        return Response(prometheus_text(counters, observations, gauges), mimetype=CONTENT_TYPE_LATEST)
    return jsonify(json_report(counters, observations, gauges, window))
