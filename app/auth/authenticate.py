"""Authentication before every request: resolve the bearer token (or anonymous) into ``g.principal``
and ``g.caller``.

Registered before the rate limiter, so quota key functions already know the caller, and after the
request-id hook, so a 401 carries a request id. Public routes are not authenticated at all.
"""

from __future__ import annotations

from flask import Flask, g, request

from app.auth.failed_attempts import count_failure, refuse_when_exhausted
from app.auth.requires import check_access, declared_level, effective_level
from app.engine.access import ANONYMOUS, Principal
from app.engine.pipeline import Caller
from app.errors import Forbidden, InvalidToken, Unauthorized
from app.request_context import current_config, current_services

_STATIC_ENDPOINT = "static"


def principal_from_request() -> Principal:
    """The caller named by ``Authorization: Bearer``; anonymous only when configured to allow it."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        principal = None
        if scheme.lower() == "bearer" and token:
            # The address's failures are looked at only when the token would cost a database lookup,
            # not for a token this worker verified lately: most requests skip the limiter storage.
            principal = current_services().tokens.verify(token, before_lookup=refuse_when_exhausted)
        else:
            refuse_when_exhausted()
        if principal is None:
            count_failure()
            raise InvalidToken()
        return principal
    if current_config().auth.allow_anonymous:
        return ANONYMOUS
    raise Unauthorized()


def init_authentication(app: Flask) -> None:
    @app.before_request
    def _authenticate() -> None:
        endpoint = request.endpoint
        if endpoint is None or endpoint == _STATIC_ENDPOINT:
            return  # no route: Flask answers 404/405 itself
        level = declared_level(app.view_functions.get(endpoint))
        if level is None:
            raise Forbidden("This route declares no access requirement.")
        if effective_level(level) == "public":
            return
        principal = principal_from_request()
        g.principal = principal
        g.caller = Caller(tenant=principal.tenant, roles=principal.roles)
        # Role checks happen here too, so a refused request never reaches the quota counters.
        check_access(level, principal)
