"""Token verification with a short per-process cache.

Every worker asks the database at most once per ``ttl_seconds`` per token, so a revocation or an
expiry reaches every worker and host within that time (0 disables the cache: every request asks).
Invalid tokens are not cached, so a just-created token works at once. Raises nothing beyond
database errors.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from app.engine.access.principal import Principal
from app.engine.access.tokens import token_hash

_MAX_ENTRIES = 10_000


class TokenVerifier:
    def __init__(
        self,
        resolve: Callable[[str], Principal | None],
        hash_key: bytes,
        ttl_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._resolve = resolve
        self._key = hash_key
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._wall_clock = wall_clock
        # Keyed by the token's keyed hash, so the cache never holds a usable secret.
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, presented: str, before_lookup: Callable[[], None] | None = None) -> Principal | None:
        """The principal of ``presented``, or None. ``before_lookup`` runs only when the database is
        about to be asked (not for a token this worker verified lately) and may raise to prevent it."""
        key = token_hash(self._key, presented)
        now = self._monotonic()
        if self._ttl > 0:
            with self._lock:
                cached = self._cache.get(key)
            if cached is not None and now - cached[1] < self._ttl and not self._expired(cached[0]):
                return cached[0]
        if before_lookup is not None:
            before_lookup()
        principal = self._resolve(presented)
        with self._lock:
            if principal is None or self._ttl <= 0:
                self._cache.pop(key, None)
            else:
                self._cache[key] = (principal, now)
                self._cache.move_to_end(key)
                while len(self._cache) > _MAX_ENTRIES:
                    self._cache.popitem(last=False)
        return principal

    def _expired(self, principal: Principal) -> bool:
        # An expiry is known locally: no need to wait for the cache entry to age out.
        return principal.expires_at is not None and principal.expires_at <= self._wall_clock()
