"""Tests for input normalisation."""

from __future__ import annotations

import pytest

from app.engine.safety.errors import InputTooLong, SafetyError
from app.engine.safety.normalize import decode_tag_characters, normalize_input


def test_nfkc_and_invisible_removed() -> None:
    assert normalize_input("ｉｇｎｏｒｅ\u200b all\u2060", 100) == "ignore all"


def test_tag_characters_stripped_and_decodable() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "hi")
    assert normalize_input(f"ok{hidden}", 100) == "ok"
    assert decode_tag_characters(hidden) == "hi"


def test_controls_removed_newlines_kept() -> None:
    assert normalize_input("a\x00b\x07c\n\td", 100) == "abc\n\td"


def test_too_long_raises_documented_error() -> None:
    with pytest.raises(InputTooLong) as info:
        normalize_input("x" * 11, 10)
    assert isinstance(info.value, SafetyError)
    assert info.value.limit == 10


def test_truncate_mode() -> None:
    assert normalize_input("x" * 11, 10, truncate=True) == "x" * 10
