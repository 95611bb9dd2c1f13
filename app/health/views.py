"""GET /health (liveness) and GET /ready (readiness of every configured dependency)."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify

from app.auth.requires import requires
from app.extensions import limiter
from app.health.schemas import HealthSchema, InfoSchema, ReadySchema
from app.readiness import run_checks
from app.request_context import current_config

bp = Blueprint("health", __name__)


@bp.get("/health")
@limiter.exempt
@requires("public")
def health() -> Response:
    body = {
        "status": "ok",
        "version": current_app.config["APP_VERSION"],
        "uptime_s": round(time.monotonic() - current_app.config["STARTED_AT"], 3),
    }
    return jsonify(HealthSchema().dump(body))


@bp.get("/ready")
@limiter.exempt
@requires("public")
def ready() -> tuple[Response, int]:
    ok, results = run_checks(current_app.extensions["readiness"])
    body = ReadySchema().dump({"status": "ok" if ok else "unavailable", "checks": results})
    return jsonify(body), 200 if ok else 503


@bp.get("/info")
@requires("public")
def info() -> Response:
    """Service name and version; subject to the default rate limits, unlike the probes above."""
    config = current_config()
    return jsonify(InfoSchema().dump({"name": config.app.name, "version": config.app.version}))
