"""Errors of the access layer (tenants, tokens, quotas); callers map them to CLI or HTTP errors."""

from __future__ import annotations


class AccessError(ValueError):
    """Base class: an access-control request that cannot be carried out."""


class InvalidTenantName(AccessError):
    """A tenant name that is empty, too long or has characters other than a-z, 0-9, - and _."""


class TenantExists(AccessError):
    """A tenant with that name exists already."""


class UnknownTenant(AccessError):
    """No tenant with that name."""


class UnknownToken(AccessError):
    """No token with that id."""


class InvalidQuota(AccessError):
    """A quota string Flask-Limiter cannot parse."""


class InvalidDuration(AccessError):
    """A duration that is not a positive number followed by s, m, h or d."""


class InvalidRole(AccessError):
    """A role other than ``user`` or ``admin``."""
