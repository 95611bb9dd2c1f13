"""Flask side of access control: the authentication hook, ``@requires`` and the quota limits.

The Flask-free core (tokens, tenants, audit) is ``app.engine.access``.
"""

from app.auth.authenticate import init_authentication
from app.auth.quotas import current_principal, has_token, quota_limits, usage
from app.auth.requires import REQUIREMENT_ATTR, requires

__all__ = ["REQUIREMENT_ATTR", "current_principal", "has_token", "init_authentication", "quota_limits",
           "requires", "usage"]
