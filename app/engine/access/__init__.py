"""Access control without Flask: tenants, API tokens, quotas and the audit log.

``AccessStore`` keeps tenants and tokens (keyed hashes only), ``TokenVerifier`` resolves a
presented token with a short per-process cache, ``AuditLog`` records who did what. Errors derive
from ``AccessError``.
"""

from app.engine.access.audit import CLI_ACTOR, Actor, AuditEntry, AuditLog
from app.engine.access.errors import (
    AccessError,
    InvalidDuration,
    InvalidQuota,
    InvalidRole,
    InvalidTenantName,
    TenantExists,
    UnknownTenant,
    UnknownToken,
)
from app.engine.access.principal import ANONYMOUS, ROLE_ADMIN, ROLE_USER, ROLES, Principal, roles_for
from app.engine.access.quota import normalise_quota, parse_quota
from app.engine.access.store import AccessStore, TenantInfo, TokenInfo
from app.engine.access.tokens import derive_hash_key, parse_duration
from app.engine.access.verifier import TokenVerifier

__all__ = [
    "ANONYMOUS",
    "CLI_ACTOR",
    "ROLES",
    "ROLE_ADMIN",
    "ROLE_USER",
    "AccessError",
    "AccessStore",
    "Actor",
    "AuditEntry",
    "AuditLog",
    "InvalidDuration",
    "InvalidQuota",
    "InvalidRole",
    "InvalidTenantName",
    "Principal",
    "TenantExists",
    "TenantInfo",
    "TokenInfo",
    "TokenVerifier",
    "UnknownTenant",
    "UnknownToken",
    "derive_hash_key",
    "normalise_quota",
    "parse_duration",
    "parse_quota",
    "roles_for",
]
