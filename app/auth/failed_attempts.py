"""Failed authentications per client address, counted on the limiter's storage (memory, or Redis
so the count holds across workers and hosts).

Authentication runs before the rate limiter, so a request with a wrong token never reached the
limits and every one cost a token lookup in the database. An address that has used up
``auth.failed_auth_quota`` gets 429 before its token is looked up, until the window passes; a token
the worker verified lately needs no lookup and is not held up.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many

from app.auth.quotas import storage_identifiers
from app.errors import APIError
from app.extensions import limiter
from app.request_context import client_address, current_config

SCOPE = "failed-auth"


class TooManyFailedAuthentications(APIError):
    status = 429
    code = "rate_limited"
    message = ("Too many requests with an invalid API token from this address; retry after the time "
               "given in Retry-After.")


def _counted() -> list[tuple[RateLimitItem, list[str]]]:
    if not (limiter.enabled and limiter.initialized):
        return []
    identifiers = storage_identifiers(f"ip:{client_address()}", SCOPE)
    return [(item, identifiers) for item in parse_many(current_config().auth.failed_auth_quota)]


def refuse_when_exhausted() -> None:
    """Raise ``TooManyFailedAuthentications`` when this address has no failed attempt left."""
    for item, identifiers in _counted():
        if not limiter.limiter.test(item, *identifiers):
            reset_at = limiter.limiter.get_window_stats(item, *identifiers).reset_time
            wait = max(1, math.ceil(reset_at - time.time()))
            raise TooManyFailedAuthentications(extra_headers=(("Retry-After", str(wait)),))


def count_failure() -> None:
    """Count one failed authentication of this address."""
    for item, identifiers in _counted():
        limiter.limiter.hit(item, *identifiers)
