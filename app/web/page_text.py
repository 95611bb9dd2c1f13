"""The chat page's own words (labels, buttons, status lines), one JSON file per language in
app/web/locale/: the page speaks the visitor's language as the replies do.

Raises:
    PageTextError: a file is malformed, lacks a key, has an unknown one, or drops a ``{placeholder}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE_TEXT_DIR = Path(__file__).resolve().parent / "locale"
# Each key with the placeholders its text must keep (the script fills them in).
KEYS: dict[str, frozenset[str]] = {
    "new_conversation": frozenset(),
    "conversation": frozenset(),
    "token_prompt": frozenset(),
    "use_token": frozenset(),
    "your_message": frozenset(),
    "placeholder": frozenset(),
    "send": frozenset(),
    "too_many_requests": frozenset(),
    "try_again_in": frozenset({"seconds"}),
    "service_answered": frozenset({"status"}),
    "request": frozenset(),
    "helpful": frozenset(),
    "not_helpful": frozenset(),
    "unreachable": frozenset(),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class PageTextError(ValueError):
    """A page text file is malformed or incomplete."""


@dataclass(frozen=True)
class PageText:
    language: str
    direction: str  # "ltr" or "rtl", for the page's dir attribute
    text: dict[str, str]


def parse_page_text(language: str, data: Any) -> PageText:
    where = f"page text {language}"
    if not isinstance(data, dict) or data.get("language") != language:
        raise PageTextError(f"{where}: must be an object whose 'language' is {language!r}")
    direction, text = data.get("direction"), data.get("text")
    if direction not in ("ltr", "rtl"):
        raise PageTextError(f"{where}: 'direction' must be 'ltr' or 'rtl'")
    keys = set(text) if isinstance(text, dict) else set()
    if not isinstance(text, dict) or keys != set(KEYS):
        missing, unknown = set(KEYS) - keys, keys - set(KEYS)
        raise PageTextError(f"{where}: keys missing {sorted(missing)}, unknown {sorted(unknown)}")
    for key, value in text.items():
        if not isinstance(value, str) or not value.strip():
            raise PageTextError(f"{where}: '{key}' must be a non-empty string")
        if set(_PLACEHOLDER.findall(value)) != KEYS[key]:
            raise PageTextError(f"{where}: '{key}' must hold exactly {sorted(KEYS[key])} as placeholders")
    return PageText(language, direction, dict(text))


def load_page_texts(directory: Path = PAGE_TEXT_DIR) -> dict[str, PageText]:
    """Every language's page text, by ISO 639-1 code."""
    texts = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PageTextError(f"page text {path.stem}: unreadable ({exc.__class__.__name__})") from exc
        texts[path.stem] = parse_page_text(path.stem, data)
    return texts


def page_text_for(texts: dict[str, PageText], accepted: list[tuple[str, float]], default: str) -> PageText:
    """The page text for a visitor's Accept-Language preferences (``[(tag, quality), ...]``, best
    first): the first language with a text, by its primary subtag ("pt-BR" is Portuguese); else
    ``default``'s, else English."""
    for tag, quality in accepted:
        language = tag.split("-")[0].split("_")[0].lower()
        if quality > 0 and language in texts:
            return texts[language]
    return texts.get(default) or texts["en"]
