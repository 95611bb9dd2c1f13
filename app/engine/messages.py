"""Localized texts of the chat pipeline, loaded from one JSON file per language in app/engine/locale/.

Each file holds the pipeline messages (refusal, fallback, leak_blocked, error) and the small-talk
intents (greeting, thanks, goodbye, help: triggers and replies). `Messages.load()` reads and checks
them; `Messages.text(key, lang)` falls back to the default language for a language without templates.

Raises LocaleError (a ValueError) when a file is malformed or lacks a required key, and KeyError for
an unknown message key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
MESSAGE_KEYS: tuple[str, ...] = ("refusal", "fallback", "leak_blocked", "error")
INTENTS: tuple[str, ...] = ("acknowledgement", "greeting", "thanks", "goodbye", "help")


class LocaleError(ValueError):
    """A locale file is missing, malformed, or lacks a required key."""


@dataclass(frozen=True)
class Intent:
    """One small-talk intent of one language: what users say and what we answer."""

    name: str
    triggers: tuple[str, ...]
    replies: tuple[str, ...]


@dataclass(frozen=True)
class Locale:
    """All texts of one language."""

    language: str
    name: str
    messages: dict[str, str]
    intents: dict[str, Intent]
    fillers: tuple[str, ...]


def _strings(value: Any, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise LocaleError(f"{where} must be a list of non-empty strings")
    if not value and not allow_empty:
        raise LocaleError(f"{where} must not be empty")
    return tuple(value)


def parse_locale(language: str, data: Any) -> Locale:
    """Validate one file's content; raise LocaleError naming the first problem."""
    if not isinstance(data, dict):
        raise LocaleError(f"locale {language}: top level must be an object")
    messages = data.get("messages")
    if not isinstance(messages, dict):
        raise LocaleError(f"locale {language}: 'messages' must be an object")
    for key in MESSAGE_KEYS:
        if not isinstance(messages.get(key), str) or not messages[key].strip():
            raise LocaleError(f"locale {language}: missing message '{key}'")
    raw_intents = data.get("intents")
    if not isinstance(raw_intents, dict):
        raise LocaleError(f"locale {language}: 'intents' must be an object")
    intents: dict[str, Intent] = {}
    for name in INTENTS:
        entry = raw_intents.get(name)
        if not isinstance(entry, dict):
            raise LocaleError(f"locale {language}: missing intent '{name}'")
        where = f"locale {language}: intents.{name}"
        intents[name] = Intent(name, _strings(entry.get("triggers"), f"{where}.triggers"),
                               _strings(entry.get("replies"), f"{where}.replies"))
    return Locale(
        language=language,
        name=str(data.get("name", language)),
        messages={key: str(messages[key]) for key in MESSAGE_KEYS},
        intents=intents,
        fillers=_strings(data.get("fillers", []), f"locale {language}: fillers", allow_empty=True),
    )


class Messages:
    """The localized texts of every language with a locale file."""

    def __init__(self, locales: dict[str, Locale], default_language: str = "en") -> None:
        if default_language not in locales:
            raise LocaleError(f"no locale file for the default language {default_language!r}")
        self.locales = locales
        self.default_language = default_language

    @classmethod
    def load(cls, directory: Path | None = None, default_language: str = "en") -> Messages:
        """Read every <lang>.json in *directory* (default: the locale files shipped with the package)."""
        folder = directory or LOCALE_DIR
        locales: dict[str, Locale] = {}
        for path in sorted(folder.glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise LocaleError(f"cannot read locale file {path.name}: {exc}") from exc
            locales[path.stem] = parse_locale(path.stem, data)
        if not locales:
            raise LocaleError(f"no locale files in {folder}")
        return cls(locales, default_language)

    @property
    def languages(self) -> list[str]:
        """Languages with templates, sorted."""
        return sorted(self.locales)

    def has_language(self, language: str) -> bool:
        return language in self.locales

    def reply_language(self, language: str | None) -> str:
        """*language* when it has templates, else the default language."""
        return language if language and language in self.locales else self.default_language

    def text(self, key: str, language: str | None) -> str:
        """The message *key* in *language*, or in the default language when *language* has no file."""
        if key not in MESSAGE_KEYS:
            raise KeyError(key)
        return self.locales[self.reply_language(language)].messages[key]
