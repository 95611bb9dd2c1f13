"""Quota strings: the Flask-Limiter notation (``"1000/day;60/minute"``), validated up front.

Raises ``InvalidQuota`` for text the ``limits`` package cannot parse.
"""

from __future__ import annotations

from limits import RateLimitItem, parse_many

from app.engine.access.errors import InvalidQuota

MAX_QUOTA_CHARS = 256


def parse_quota(text: str) -> list[RateLimitItem]:
    """The limits of a quota string; an empty string means no limit of its own."""
    if not text.strip():
        return []
    if len(text) > MAX_QUOTA_CHARS:
        raise InvalidQuota(f"quota longer than {MAX_QUOTA_CHARS} characters")
    try:
        return list(parse_many(text))
    except ValueError:
        raise InvalidQuota(f"{text!r}: not a quota; use e.g. '1000/day;60/minute'") from None


def normalise_quota(text: str) -> str:
    """Validated and spaced consistently, as stored."""
    parse_quota(text)
    return ";".join(part.strip() for part in text.split(";") if part.strip())
