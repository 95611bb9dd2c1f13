"""API token material: minting, keyed hashing, durations. No storage and no Flask.

A token is ``cbt_`` plus 43 URL-safe characters (256 random bits). Only an HMAC-SHA256 of it,
keyed with a key derived from the service's secret key, is ever stored, so a leaked database does
not yield usable tokens. Raises ``InvalidDuration`` from ``parse_duration``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from app.engine.access.errors import InvalidDuration

TOKEN_PREFIX = "cbt_"
TOKEN_BYTES = 32  # 256 bits
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MAX_PRESENTED_CHARS = 256


def derive_hash_key(secret_key: str) -> bytes:
    """The token-hashing key: derived from the secret key, distinct from its other uses."""
    return hmac.new(secret_key.encode(), b"chatbot-api-token-hash-v1", hashlib.sha256).digest()


def mint_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def display_hint(token: str) -> str:
    """A non-secret hint (``cbt_AbCd…wxyz``): 8 of 256 bits' worth of characters, never enough to guess."""
    return f"{token[:8]}…{token[-4:]}"


def looks_like_token(presented: str) -> bool:
    """Cheap shape check before any hashing or database work."""
    return presented.startswith(TOKEN_PREFIX) and len(presented) <= _MAX_PRESENTED_CHARS


def parse_duration(text: str) -> timedelta:
    """``"30d"``, ``"12h"``, ``"15m"``, ``"90s"`` -> timedelta; raises InvalidDuration."""
    match = _DURATION.match(text or "")
    if match is None or int(match.group(1)) == 0:
        raise InvalidDuration(f"{text!r}: use a positive number followed by s, m, h or d (e.g. 30d)")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
