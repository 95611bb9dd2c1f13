"""Per-token, per-tenant and per-anonymous-IP quotas as Flask-Limiter application limits.

Each quota is an ``ApplicationLimit`` whose limit string and key come from the authenticated
caller: ``token:<id>`` for a token's own quota, ``tenant:<name>`` for the tenant's shared quota
(every token of the tenant counts against it), ``ip:<address>`` for anonymous callers. They live
on the limiter's storage (memory or Redis), so with Redis they hold across workers and hosts.
``usage`` reads the same counters back for ``GET /usage``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g
from flask_limiter import ApplicationLimit
from limits import parse_many

from app.engine.access import ANONYMOUS, Principal
from app.extensions import limiter
from app.request_context import client_address, current_config


def current_principal() -> Principal:
    principal: Principal | None = g.get("principal")
    return principal if principal is not None else ANONYMOUS


def has_token() -> bool:
    """Token callers are governed by their quotas, not by the per-IP default limits."""
    return current_principal().token_id is not None


def _token_quota() -> str:
    principal = current_principal()
    return principal.token_quota if principal.token_id is not None else ""


def _tenant_quota() -> str:
    principal = current_principal()
    if principal.token_id is None:
        return ""
    return principal.tenant_quota or current_config().auth.default_tenant_quota


def _anonymous_quota() -> str:
    return current_config().auth.anonymous_quota if current_principal().token_id is None else ""


def _token_key() -> str:
    return f"token:{current_principal().token_id}"


def _tenant_key() -> str:
    return f"tenant:{current_principal().tenant}"


def _anonymous_key() -> str:
    return f"ip:{client_address()}"


@dataclass(frozen=True)
class Quota:
    name: str
    provider: Callable[[], str]
    key: Callable[[], str]

    @property
    def scope(self) -> str:
        return f"quota-{self.name}"


QUOTAS = (
    Quota("token", _token_quota, _token_key),
    Quota("tenant", _tenant_quota, _tenant_key),
    Quota("anonymous", _anonymous_quota, _anonymous_key),
)


def quota_limits() -> list[ApplicationLimit]:
    """The application limits to install on the limiter (evaluated per request)."""
    return [ApplicationLimit(limit_provider=q.provider, key_function=q.key, scope=q.scope) for q in QUOTAS]


def storage_identifiers(key: str, scope: str) -> list[str]:
    """The identifiers a limit of ``key`` in ``scope`` is counted under on the limiter's storage, as
    Flask-Limiter itself counts application limits (behind the configured key prefix)."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return [prefix, key, scope] if prefix else [key, scope]


@dataclass(frozen=True)
class WindowUsage:
    quota: str  # token, tenant or anonymous
    limit: str  # e.g. "60 per 1 minute"
    amount: int
    window_seconds: int
    used: int
    remaining: int
    reset_at: int  # epoch seconds


def usage() -> list[WindowUsage]:
    """The caller's quotas with used and remaining requests in each window (current request included)."""
    windows: list[WindowUsage] = []
    if not (limiter.enabled and limiter.initialized):
        return windows
    for quota in QUOTAS:
        text = quota.provider()
        if not text:
            continue
        identifiers = storage_identifiers(quota.key(), quota.scope)
        for item in parse_many(text):
            stats = limiter.limiter.get_window_stats(item, *identifiers)
            remaining = max(0, int(stats.remaining))
            windows.append(WindowUsage(quota.name, str(item), item.amount, item.get_expiry(),
                                       item.amount - remaining, remaining, int(stats.reset_time)))
    return windows
