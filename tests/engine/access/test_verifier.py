"""The per-process token cache: bounded staleness, nothing cached for invalid tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.engine.access import Principal, TokenVerifier, derive_hash_key

KEY = derive_hash_key("k" * 40)


class FakeStore:
    def __init__(self) -> None:
        self.valid: dict[str, Principal] = {}
        self.calls = 0

    def resolve(self, presented: str) -> Principal | None:
        self.calls += 1
        return self.valid.get(presented)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_valid_tokens_are_cached_for_the_ttl_only() -> None:
    store, clock = FakeStore(), Clock()
    store.valid["t"] = Principal(1, "acme", "user")
    verifier = TokenVerifier(store.resolve, KEY, ttl_seconds=5, monotonic=clock)
    assert verifier.verify("t") is not None and verifier.verify("t") is not None
    assert store.calls == 1
    del store.valid["t"]  # revoked in the database
    clock.now += 4.9
    assert verifier.verify("t") is not None
    clock.now += 0.2
    assert verifier.verify("t") is None
    assert store.calls == 2


def test_ttl_zero_asks_the_database_every_time() -> None:
    store = FakeStore()
    store.valid["t"] = Principal(1, "acme", "user")
    verifier = TokenVerifier(store.resolve, KEY, ttl_seconds=0)
    for _ in range(3):
        assert verifier.verify("t") is not None
    assert store.calls == 3


def test_invalid_tokens_are_not_cached() -> None:
    store = FakeStore()
    verifier = TokenVerifier(store.resolve, KEY, ttl_seconds=60)
    assert verifier.verify("new") is None
    store.valid["new"] = Principal(2, "acme", "user")
    assert verifier.verify("new") is not None


def test_a_cached_token_that_expires_is_refused_at_once() -> None:
    store = FakeStore()
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    expires = now[0] + timedelta(minutes=5)
    store.valid["t"] = Principal(1, "acme", "user", expires_at=expires)
    verifier = TokenVerifier(store.resolve, KEY, ttl_seconds=3600, wall_clock=lambda: now[0])
    assert verifier.verify("t") is not None
    now[0] = expires - timedelta(seconds=1)
    assert verifier.verify("t") is not None
    assert store.calls == 1  # still cached
    del store.valid["t"]  # the database no longer accepts it once expired
    now[0] = expires
    assert verifier.verify("t") is None
    assert store.calls == 2  # expired locally, so the database was asked again


def test_the_before_lookup_hook_runs_only_when_the_store_is_asked() -> None:
    store, clock = FakeStore(), Clock()
    store.valid["t"] = Principal(1, "acme", "user")
    verifier = TokenVerifier(store.resolve, KEY, ttl_seconds=5, monotonic=clock)
    asked: list[str] = []
    verifier.verify("t", before_lookup=lambda: asked.append("t"))
    verifier.verify("t", before_lookup=lambda: asked.append("cached"))
    verifier.verify("wrong", before_lookup=lambda: asked.append("wrong"))
    assert asked == ["t", "wrong"] and store.calls == 2

    def refuse() -> None:
        raise PermissionError("blocked")

    with pytest.raises(PermissionError):
        verifier.verify("other", before_lookup=refuse)
    assert store.calls == 2  # refused before the lookup
