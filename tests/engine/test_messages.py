"""Tests for app.engine.messages: every shipped locale file loads, has every key, and falls back sanely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.language_settings import SUPPORTED_LANGUAGES
from app.engine.messages import INTENTS, LOCALE_DIR, MESSAGE_KEYS, LocaleError, Messages


@pytest.fixture(scope="module")
def messages() -> Messages:
    return Messages.load()


def test_one_locale_file_per_supported_language() -> None:
    assert sorted(p.stem for p in LOCALE_DIR.glob("*.json")) == sorted(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_locale_file_has_every_key(messages: Messages, language: str) -> None:
    locale = messages.locales[language]
    assert locale.language == language
    for key in MESSAGE_KEYS:
        assert messages.text(key, language).strip()
    for name in INTENTS:
        intent = locale.intents[name]
        assert len(intent.triggers) >= 3
        assert 1 <= len(intent.replies) <= 3


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_messages_differ_from_english_except_in_english(messages: Messages, language: str) -> None:
    if language != "en":
        assert messages.text("fallback", language) != messages.text("fallback", "en")


def test_unknown_language_falls_back_to_default(messages: Messages) -> None:
    assert messages.text("refusal", "sv") == messages.text("refusal", "en")
    assert messages.text("error", None) == messages.text("error", "en")
    assert messages.reply_language("ko") == "en"


def test_unknown_key_raises(messages: Messages) -> None:
    with pytest.raises(KeyError):
        messages.text("nonexistent", "en")


def test_missing_key_is_reported(tmp_path: Path) -> None:
    data = json.loads((LOCALE_DIR / "en.json").read_text(encoding="utf-8"))
    del data["messages"]["leak_blocked"]
    (tmp_path / "en.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LocaleError, match="leak_blocked"):
        Messages.load(tmp_path)


def test_missing_intent_is_reported(tmp_path: Path) -> None:
    data = json.loads((LOCALE_DIR / "en.json").read_text(encoding="utf-8"))
    del data["intents"]["goodbye"]
    (tmp_path / "en.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LocaleError, match="goodbye"):
        Messages.load(tmp_path)


def test_malformed_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "en.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LocaleError, match=r"en\.json"):
        Messages.load(tmp_path)


def test_default_language_needs_a_file(tmp_path: Path) -> None:
    (tmp_path / "de.json").write_text((LOCALE_DIR / "de.json").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(LocaleError, match="default language"):
        Messages.load(tmp_path, default_language="en")
