"""``@requires(level)``: the one decorator that declares what a route needs; the authentication
hook (``app.auth.authenticate``) enforces it.

Levels: ``public`` (no authentication at all: probes), ``user`` (any valid token, or an anonymous
caller when ``auth.allow_anonymous`` is on), ``admin`` (a token with role admin), and ``metrics``
(whatever ``auth.metrics_access`` says). Every route must carry it: the authentication hook
refuses routes that do not (fail closed), and a test lists the URL map to catch them early.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, ParamSpec, TypeVar, get_args

from app.engine.access import ROLE_ADMIN, Principal
from app.errors import Forbidden, Unauthorized
from app.request_context import current_config

Level = Literal["public", "user", "admin", "metrics"]
LEVELS: tuple[str, ...] = get_args(Level)
REQUIREMENT_ATTR = "access_requirement"

P = ParamSpec("P")
R = TypeVar("R")


def effective_level(level: str) -> str:
    """The level after configuration: ``metrics`` becomes ``auth.metrics_access``."""
    return current_config().auth.metrics_access if level == "metrics" else level


def declared_level(view: Callable[..., object] | None) -> str | None:
    level = getattr(view, REQUIREMENT_ATTR, None) if view is not None else None
    return level if isinstance(level, str) else None


def check_access(level: str, principal: Principal | None) -> None:
    """Raise Unauthorized/Forbidden unless ``principal`` satisfies ``level``."""
    effective = effective_level(level)
    if effective == "public":
        return
    if principal is None:
        raise Unauthorized()
    if effective == "admin" and ROLE_ADMIN not in principal.roles:
        raise Forbidden("This route needs a token with role admin.")


def requires(level: Level) -> Callable[[Callable[P, R]], Callable[P, R]]:
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}; use one of {', '.join(LEVELS)}")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        # Only declared here: the authentication hook checks it before the quota counters and the
        # view run (and refuses a route that declares nothing), so a second check would repeat it.
        setattr(view, REQUIREMENT_ATTR, level)
        return view

    return decorate
