"""Token material: randomness, keyed hashing, display hints, durations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.engine.access import InvalidDuration, derive_hash_key, parse_duration
from app.engine.access.tokens import TOKEN_PREFIX, display_hint, looks_like_token, mint_token, token_hash


def test_tokens_carry_256_random_bits() -> None:
    tokens = {mint_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith(TOKEN_PREFIX)
        assert len(token) - len(TOKEN_PREFIX) >= 43  # 32 bytes, URL-safe base64
        assert looks_like_token(token)


def test_hash_is_keyed_by_the_secret_key() -> None:
    token = mint_token()
    key_a, key_b = derive_hash_key("a" * 40), derive_hash_key("b" * 40)
    assert token_hash(key_a, token) == token_hash(key_a, token)
    assert token_hash(key_a, token) != token_hash(key_b, token)
    assert token not in token_hash(key_a, token)
    assert len(token_hash(key_a, token)) == 64


def test_display_hint_is_not_the_secret() -> None:
    token = mint_token()
    hint = display_hint(token)
    assert hint.startswith(token[:8]) and hint.endswith(token[-4:])
    assert len(hint) < 16


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("15m", timedelta(minutes=15)),
     ("90s", timedelta(seconds=90))],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0d", "30", "d", "1w", "-1d", "1.5h"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(InvalidDuration):
        parse_duration(text)
