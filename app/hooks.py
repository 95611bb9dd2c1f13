"""Request hooks: request id, timing, the access log line, metrics, and security headers.

``init_request_id`` must be registered before the rate limiter so a 429 already has an id;
``init_response_hooks`` adds after-request hooks, which Flask also runs for handled errors, so
4xx, 429 and 500 responses carry the same headers.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from app.config import SecuritySection
from app.extensions import metrics
from app.request_context import choose_request_id, client_address

access_log = logging.getLogger("app.access")
# The access line's message: a constant, so the PII log filter need not scan it.
ACCESS_EVENT = "request"
UNMATCHED_ROUTE = "<unmatched>"


def init_request_id(app: Flask) -> None:
    @app.before_request
    def _start_request() -> None:
        g.request_id = choose_request_id(request.headers.get("X-Request-ID"))
        g.started_at = time.perf_counter()


def security_headers(settings: SecuritySection, is_page: bool) -> dict[str, str]:
    """The security headers for one response, from configuration."""
    headers = {
        "Content-Security-Policy": settings.page_csp if is_page else settings.api_csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": settings.frame_options,
        "Referrer-Policy": settings.referrer_policy,
        "Permissions-Policy": settings.permissions_policy,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if not is_page:
        headers["Cache-Control"] = "no-store"
    if settings.hsts_enabled:
        value = f"max-age={settings.hsts_max_age}"
        if settings.hsts_include_subdomains:
            value += "; includeSubDomains"
        headers["Strict-Transport-Security"] = value
    return headers


def init_response_hooks(app: Flask, settings: SecuritySection, access_log_enabled: bool) -> None:
    @app.after_request
    def _finish_request(response: Response) -> Response:
        response.headers.update(security_headers(settings, is_page=response.mimetype == "text/html"))
        request_id = g.get("request_id") or choose_request_id(None)
        response.headers["X-Request-ID"] = request_id
        started = g.get("started_at", time.perf_counter())
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        metrics.record_request(request.method, route, response.status_code, duration_ms)
        if access_log_enabled:
            access_log.info(
                ACCESS_EVENT,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "client": client_address(),
                },
            )
        return response
