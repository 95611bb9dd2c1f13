"""Tenants and tokens in the database (SQLite and PostgreSQL): keyed hashes only, revocation, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.engine.access import (
    AccessStore,
    InvalidQuota,
    InvalidRole,
    InvalidTenantName,
    TenantExists,
    UnknownTenant,
    UnknownToken,
    derive_hash_key,
)
from app.storage.access_models import ApiToken

KEY = derive_hash_key("k" * 40)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_tenants_are_unique_and_validated(engine: Engine) -> None:
    store = AccessStore(engine, KEY)
    created = store.create_tenant("acme", "1000/day; 60/minute")
    assert created.quota == "1000/day;60/minute"
    with pytest.raises(TenantExists):
        store.create_tenant("acme")
    for bad in ("", "Acme", "a b", "../x", "x" * 65):
        with pytest.raises(InvalidTenantName):
            store.create_tenant(bad)
    with pytest.raises(InvalidQuota):
        store.create_tenant("globex", "plenty")
    store.create_tenant("globex")
    assert [(t.name, t.quota) for t in store.tenants()] == [("acme", "1000/day;60/minute"), ("globex", "")]


def test_only_the_keyed_hash_is_stored(engine: Engine) -> None:
    store = AccessStore(engine, KEY)
    store.create_tenant("acme")
    info, secret = store.create_token("acme", "admin")
    with Session(engine) as db:
        row = db.scalars(select(ApiToken)).one()
        stored = [str(v) for v in (row.token_hash, row.display, row.quota, row.role, row.tenant)]
    assert all(secret not in value for value in stored)
    assert row.token_hash != secret and len(row.token_hash) == 64
    principal = store.resolve(secret)
    assert principal is not None
    assert (principal.token_id, principal.tenant, principal.role) == (info.id, "acme", "admin")
    assert principal.roles == frozenset({"user", "admin"})
    assert store.resolve(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.resolve("not-a-token") is None
    assert AccessStore(engine, derive_hash_key("other" * 10)).resolve(secret) is None


def test_tokens_need_a_known_tenant_and_role(engine: Engine) -> None:
    store = AccessStore(engine, KEY)
    with pytest.raises(UnknownTenant):
        store.create_token("nobody", "user")
    store.create_tenant("acme")
    with pytest.raises(InvalidRole):
        store.create_token("acme", "root")
    with pytest.raises(UnknownToken):
        store.revoke_token(999)


def test_revoked_tokens_stop_resolving(engine: Engine) -> None:
    store = AccessStore(engine, KEY)
    store.create_tenant("acme", "5/minute")
    info, secret = store.create_token("acme", "user", quota="2/second")
    principal = store.resolve(secret)
    assert principal is not None and principal.token_quota == "2/second" and principal.tenant_quota == "5/minute"
    revoked = store.revoke_token(info.id)
    assert revoked.revoked_at is not None
    assert store.resolve(secret) is None
    (listed,) = store.tokens()
    assert listed.revoked_at is not None and listed.last_used is not None


def test_expired_tokens_stop_resolving(engine: Engine) -> None:
    clock = Clock()
    store = AccessStore(engine, KEY, clock=clock)
    store.create_tenant("acme")
    info, secret = store.create_token("acme", "user", expires_in=timedelta(hours=1))
    assert info.expires_at == clock.now + timedelta(hours=1)
    clock.now += timedelta(minutes=59)
    assert store.resolve(secret) is not None
    clock.now += timedelta(minutes=1)
    assert store.resolve(secret) is None
