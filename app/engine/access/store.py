"""Tenants and API tokens in the service's database (SQLite or PostgreSQL).

``AccessStore`` creates and lists tenants, mints tokens (returning the secret once), revokes
them, and resolves a presented token to a ``Principal`` by its keyed hash. Raises the
``AccessError`` subclasses of ``app.engine.access.errors``; database errors propagate.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from app.engine.access.errors import InvalidRole, InvalidTenantName, TenantExists, UnknownTenant, UnknownToken
from app.engine.access.principal import ROLES, Principal
from app.engine.access.quota import normalise_quota
from app.engine.access.tokens import display_hint, looks_like_token, mint_token, token_hash
from app.storage.access_models import ApiToken, Tenant
from app.storage.db import session_factory
from app.storage.models import as_utc, utcnow

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# last_used is a hint for operators; writing it on every request would cost a write per call.
_LAST_USED_RESOLUTION = timedelta(minutes=1)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class TenantInfo:
    name: str
    quota: str
    created_at: datetime


@dataclass(frozen=True)
class TokenInfo:
    """Everything about a token except its secret and hash."""

    id: int
    tenant: str
    role: str
    display: str
    quota: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used: datetime | None


def _token_info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.tenant, row.role, row.display, row.quota, as_utc(row.created_at) or utcnow(),
                     as_utc(row.expires_at), as_utc(row.revoked_at), as_utc(row.last_used))


class AccessStore:
    """Tenants and tokens; every token lookup goes by keyed hash, never by the secret itself."""

    def __init__(self, engine: Engine, hash_key: bytes, clock: Clock = utcnow) -> None:
        self._maker = session_factory(engine)
        self._key = hash_key
        self._now = clock

    # ---- tenants ---------------------------------------------------------------------------

    def create_tenant(self, name: str, quota: str = "") -> TenantInfo:
        if not TENANT_NAME.match(name):
            raise InvalidTenantName(f"{name!r}: use 1 to 64 of a-z, 0-9, - and _, starting with a letter or digit")
        stored_quota = normalise_quota(quota)
        try:
            with self._maker.begin() as db:
                row = Tenant(name=name, quota=stored_quota, created_at=self._now())
                db.add(row)
        except IntegrityError:
            raise TenantExists(f"tenant {name!r} exists already") from None
        return TenantInfo(row.name, row.quota, row.created_at)

    def tenants(self) -> list[TenantInfo]:
        with self._maker() as db:
            rows = db.scalars(select(Tenant).order_by(Tenant.name)).all()
            return [TenantInfo(r.name, r.quota, as_utc(r.created_at) or self._now()) for r in rows]

    def tenant(self, name: str) -> TenantInfo | None:
        with self._maker() as db:
            row = db.scalars(select(Tenant).where(Tenant.name == name)).first()
            return TenantInfo(row.name, row.quota, as_utc(row.created_at) or self._now()) if row else None

    # ---- tokens ----------------------------------------------------------------------------

    def create_token(
        self, tenant: str, role: str, expires_in: timedelta | None = None, quota: str = ""
    ) -> tuple[TokenInfo, str]:
        """Mint a token; returns its description and the secret, which is not stored anywhere."""
        if role not in ROLES:
            raise InvalidRole(f"{role!r}: use one of {', '.join(ROLES)}")
        stored_quota = normalise_quota(quota)
        secret = mint_token()
        now = self._now()
        with self._maker.begin() as db:
            if db.scalars(select(Tenant.id).where(Tenant.name == tenant)).first() is None:
                raise UnknownTenant(f"no tenant {tenant!r}; create it with `flask tenants create`")
            row = ApiToken(
                tenant=tenant, role=role, token_hash=token_hash(self._key, secret), display=display_hint(secret),
                quota=stored_quota, created_at=now, expires_at=now + expires_in if expires_in else None,
            )
            db.add(row)
            db.flush()
            info = _token_info(row)
        return info, secret

    def revoke_token(self, token_id: int) -> TokenInfo:
        with self._maker.begin() as db:
            row = db.get(ApiToken, token_id)
            if row is None:
                raise UnknownToken(f"no token with id {token_id}")
            if row.revoked_at is None:
                row.revoked_at = self._now()
            return _token_info(row)

    def tokens(self, tenant: str | None = None) -> list[TokenInfo]:
        with self._maker() as db:
            stmt = select(ApiToken).order_by(ApiToken.id)
            if tenant is not None:
                stmt = stmt.where(ApiToken.tenant == tenant)
            return [_token_info(r) for r in db.scalars(stmt).all()]

    def resolve(self, presented: str) -> Principal | None:
        """The principal of a valid (known, unrevoked, unexpired) token; None otherwise."""
        if not looks_like_token(presented):
            return None
        digest = token_hash(self._key, presented)
        now = self._now()
        with self._maker() as db:
            found = db.execute(
                select(ApiToken, Tenant.quota).join(Tenant, Tenant.name == ApiToken.tenant)
                .where(ApiToken.token_hash == digest)
            ).first()
            if found is None:
                return None
            row, tenant_quota = found
            # The index lookup already matched; the constant-time compare guards against any
            # collation or truncation surprise in the database.
            if not hmac.compare_digest(row.token_hash, digest):
                return None
            expires_at = as_utc(row.expires_at)
            if row.revoked_at is not None or (expires_at is not None and expires_at <= now):
                return None
            principal = Principal(row.id, row.tenant, row.role, row.quota, tenant_quota, expires_at)
            last_used = as_utc(row.last_used)
            stale_hint = last_used is None or now - last_used >= _LAST_USED_RESOLUTION
        if stale_hint:
            with self._maker.begin() as db:
                db.execute(update(ApiToken).where(ApiToken.id == principal.token_id).values(last_used=now))
        return principal
