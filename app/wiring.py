"""Builders that turn the validated configuration into the objects ``create_app`` binds.

Everything here is lazy: clients are created, not connected, so building an app (for example in
gunicorn's master before it forks) opens no connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis
import sqlalchemy

from app.auth.quotas import has_token
from app.config import Config
from app.engine.knowledge import KnowledgeBase
from app.observability.metrics_store import MetricsStore, RedisMetricsStore, SqliteMetricsStore
from app.readiness import ReadinessCheck
from app.services import Services

REDIS_TIMEOUT_S = 0.5


def flask_settings(config: Config) -> dict[str, Any]:
    """Flask and Flask-Limiter settings derived from the configuration object."""
    limits = config.ratelimit
    fail_open = limits.on_storage_error == "open"
    settings: dict[str, Any] = {
        "SECRET_KEY": config.security.secret_key,
        "DEBUG": config.app.debug,
        "TESTING": config.app.testing,
        "APP_VERSION": config.app.version,
        "MAX_CONTENT_LENGTH": config.server.max_body_bytes,
        "RATELIMIT_ENABLED": limits.enabled,
        "RATELIMIT_STORAGE_URI": limits.storage_uri,
        "RATELIMIT_KEY_PREFIX": limits.key_prefix,
        "RATELIMIT_DEFAULT": limits.default,
        # The per-IP defaults are for anonymous callers; token callers have their quotas instead.
        "RATELIMIT_DEFAULTS_EXEMPT_WHEN": has_token,
        "RATELIMIT_STRATEGY": limits.strategy,
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": fail_open,
        "RATELIMIT_IN_MEMORY_FALLBACK": limits.default if fail_open else None,
        "RATELIMIT_SWALLOW_ERRORS": fail_open,
    }
    if limits.storage_uri.startswith(("redis://", "rediss://", "unix://")):
        settings["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": REDIS_TIMEOUT_S,
            "socket_timeout": REDIS_TIMEOUT_S,
        }
    return settings


def redis_client(url: str) -> redis.Redis[bytes]:
    return redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)


def build_metrics_store(config: Config, instance_path: Path) -> MetricsStore:
    backend = config.metrics.backend
    if backend == "redis" or (backend == "auto" and config.storage.redis_url):
        prefix = f"{config.storage.redis_key_prefix}:{config.ratelimit.key_prefix}"
        return RedisMetricsStore(redis_client(config.storage.redis_url), prefix, config.metrics.window_seconds)
    return SqliteMetricsStore(instance_path / "metrics.sqlite3", config.metrics.window_seconds)


def _redis_probe(client: redis.Redis[bytes]) -> tuple[bool, str]:
    try:
        client.ping()
    except redis.RedisError as exc:
        return False, f"unreachable ({exc.__class__.__name__})"
    return True, "ok"


def knowledge_gauges(knowledge: KnowledgeBase) -> dict[str, float]:
    """Knowledge-base gauges for /metrics; empty when the database is not reachable."""
    try:
        return {f"kb_{name}": value for name, value in knowledge.metrics().items()}
    except Exception:  # a scrape must not fail because one provider's dependency is down
        return {}


def _database_probe(engine: sqlalchemy.Engine) -> tuple[bool, str]:
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except sqlalchemy.exc.SQLAlchemyError as exc:
        return False, f"unreachable ({exc.__class__.__name__})"
    return True, engine.dialect.name


def build_readiness_checks(config: Config, services: Services) -> list[ReadinessCheck]:
    checks = [
        ReadinessCheck("storage", lambda: _database_probe(services.engine)),
        ReadinessCheck("knowledge", services.knowledge.check_ready),
    ]
    if config.storage.redis_url:
        client = redis_client(config.storage.redis_url)
        checks.append(ReadinessCheck("redis", lambda: _redis_probe(client)))
    return checks
