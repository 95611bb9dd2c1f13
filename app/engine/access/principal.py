"""Who is calling, as the access layer knows it: token id, tenant, role and the quotas that apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ROLE_USER = "user"
ROLE_ADMIN = "admin"
ROLES = (ROLE_USER, ROLE_ADMIN)
# An admin may do everything a user may.
_GRANTS = {ROLE_USER: frozenset({ROLE_USER}), ROLE_ADMIN: frozenset({ROLE_USER, ROLE_ADMIN})}


def roles_for(role: str) -> frozenset[str]:
    return _GRANTS.get(role, frozenset())


@dataclass(frozen=True)
class Principal:
    """An authenticated token holder (``token_id`` None: an anonymous caller)."""

    token_id: int | None
    tenant: str
    role: str
    token_quota: str = ""
    tenant_quota: str = ""
    expires_at: datetime | None = None

    @property
    def roles(self) -> frozenset[str]:
        return roles_for(self.role)

    @property
    def actor(self) -> str:
        return f"token:{self.token_id}" if self.token_id is not None else "anonymous"


ANONYMOUS = Principal(token_id=None, tenant="", role=ROLE_USER)
