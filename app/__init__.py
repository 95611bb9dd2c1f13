"""The chatbot service: ``create_app`` is the only place where the pieces are wired together."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import extensions
from app.auth import init_authentication, quota_limits
from app.chat.observer import TURN_EVENT, MetricsAndLogObserver
from app.config import load_config
from app.engine.safety import PiiRedactingFilter, Redactor
from app.errors import REFUSED_EVENT, refused_request_response, register_error_handlers
from app.hooks import ACCESS_EVENT, init_request_id, init_response_hooks, security_headers
from app.logging import configure_logging
from app.request_body import UNREADABLE_BODY_EVENT, GuardRequestBody
from app.services import build_services
from app.web.page_text import load_page_texts
from app.wiring import build_metrics_store, build_readiness_checks, flask_settings, knowledge_gauges

REPO_ROOT = Path(__file__).resolve().parent.parent
OPERATIONAL_LOG_FIELDS = frozenset(
    {"request_id", "method", "route", "client", "session_id", "turn_id", "language", "detected_language"}
)
OPERATIONAL_LOG_MESSAGES = frozenset({ACCESS_EVENT, TURN_EVENT, REFUSED_EVENT, UNREADABLE_BODY_EVENT})


def _environment() -> dict[str, str]:
    """Process environment, plus ``.env`` in development only (the process environment wins)."""
    env = dict(os.environ)
    if env.get("APP_ENV", "development") == "development":
        from_file = dotenv_values(REPO_ROOT / ".env")
        env = {**{k: v for k, v in from_file.items() if v is not None}, **env}
    return env


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured application; ``overrides`` is the last configuration layer."""
    env = _environment()
    instance_path = Path(env.get("APP_INSTANCE_PATH") or REPO_ROOT / "instance").resolve()
    config = load_config(env, instance_path, overrides)

    app = Flask(__name__, instance_path=str(instance_path))
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.update(flask_settings(config))
    app.config["STARTED_AT"] = time.monotonic()
    app.extensions["config"] = config

    log_dir = Path(config.logging.dir) if config.logging.dir else None
    if log_dir is not None and not log_dir.is_absolute():
        log_dir = instance_path / log_dir
    log_filters = (
        [PiiRedactingFilter(keep_fields=OPERATIONAL_LOG_FIELDS, keep_messages=OPERATIONAL_LOG_MESSAGES)]
        if config.safety.redact_logs else []
    )
    configure_logging(config.logging.level, log_dir, config.secrets(), log_filters)

    # A body the server cannot read (a malformed chunk, a client gone mid-body) is a 400, not a 500.
    app.wsgi_app = GuardRequestBody(app.wsgi_app)  # type: ignore[method-assign]
    if config.server.trusted_proxies > 0:
        n = config.server.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    register_error_handlers(app)
    init_request_id(app)  # before the limiter, so a 429 already carries a request id
    init_authentication(app)  # before the limiter, so quota key functions know the caller
    extensions.limiter.init_app(app, quota_limits())
    extensions.cors.init_app(app, origins=config.security.cors_origins or [], expose_headers=["X-Request-ID"])
    extensions.metrics.init_app(app, build_metrics_store(config, instance_path), config.metrics.window_seconds)
    observer = MetricsAndLogObserver(config.chat.log_user_text, Redactor())
    services = build_services(config, instance_path, [observer])
    app.extensions["services"] = services
    # Run by gunicorn in each worker once it has the app (deploy/gunicorn.conf.py, post_worker_init).
    app.extensions["worker_init"] = [services.after_fork, services.warm_up]
    # Run by gunicorn in its master once it holds the app, before the first worker forks (when_ready).
    app.extensions["before_fork"] = [services.before_fork]
    # Written by gunicorn for a request it refuses before the app sees it (when_ready).
    app.extensions["refused_request_response"] = partial(
        refused_request_response, headers=security_headers(config.security, is_page=False)
    )
    app.extensions["readiness"] = build_readiness_checks(config, services)
    # The chat page's words, read (and checked) once: a broken file stops the start, not a page view.
    app.extensions["page_texts"] = load_page_texts()
    extensions.metrics.add_gauge_provider(app, lambda: knowledge_gauges(services.knowledge))
    init_response_hooks(app, config.security, config.logging.access_log)
    _register_blueprints(app)
    _register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.chat.views import bp as chat_bp
    from app.health.views import bp as health_bp
    from app.metrics.views import bp as metrics_bp
    from app.usage.views import bp as usage_bp
    from app.web.views import bp as web_bp

    for blueprint in (health_bp, metrics_bp, chat_bp, usage_bp, admin_bp, web_bp):
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from app.cli import config_cli, db_cli, eval_cli, kb_cli
    from app.cli_access import audit_cli, tenants_cli, tokens_cli

    for group in (config_cli, db_cli, kb_cli, eval_cli, tenants_cli, tokens_cli, audit_cli):
        app.cli.add_command(group)
