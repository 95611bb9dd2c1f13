"""Input normalisation: the first stage of the input guard.

Applies Unicode NFKC, removes invisible, bidi-control and tag characters (used for "ASCII smuggling"),
drops control characters except newline and tab, collapses runs of spaces and blank lines, and enforces
the length limit. Raises :class:`~app.engine.safety.errors.InputTooLong` when the normalised text is
longer than ``max_chars`` (unless ``truncate=True``).
"""

from __future__ import annotations

import re
import unicodedata

from app.engine.safety.errors import InputTooLong

# Zero-width, joiners, bidi controls, word joiner, invisible operators, BOM, soft hyphen, Mongolian
# vowel separator, Hangul fillers: characters that render as nothing but can split or hide words.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}\U000e0000-\U000e007f\U000e0100-\U000e01ef]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES_RE = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{2,}")
_BLANK_LINES_RE = re.compile(r"\n\s*\n(\s*\n)+")
_TAG_BASE = 0xE0000


def decode_tag_characters(text: str) -> str:
    """Return the ASCII message hidden in Unicode tag characters (U+E0020..U+E007E), if any."""
    return "".join(chr(ord(c) - _TAG_BASE) for c in text if 0xE0020 <= ord(c) <= 0xE007E)


def strip_invisible(text: str) -> str:
    """Remove invisible and tag characters without any other change."""
    return _INVISIBLE_RE.sub("", text)


def strip_control_characters(text: str) -> str:
    """Remove control characters except newline, carriage return and tab: they carry nothing a
    reader sees, and PostgreSQL text cannot store NUL."""
    return _CONTROL_RE.sub("", text)


def normalize_input(text: str, max_chars: int, *, truncate: bool = False) -> str:
    """Return ``text`` normalised for the guard and the rest of the pipeline.

    Raises :class:`InputTooLong` if the result exceeds ``max_chars`` and ``truncate`` is false;
    with ``truncate`` the text is cut to ``max_chars`` instead.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = strip_control_characters(text)
    text = _SPACES_RE.sub(" ", text)
    text = _BLANK_LINES_RE.sub("\n\n", text).strip()
    if len(text) > max_chars:
        if not truncate:
            raise InputTooLong(len(text), max_chars)
        text = text[:max_chars]
    return text
