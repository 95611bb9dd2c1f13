"""Typed settings of the safety layer.

The central configuration embeds :class:`SafetySettings` as its ``safety`` section; environment
variables ``APP__SAFETY__<FIELD>`` override single fields. Only plain types are used so the loader can
coerce them. Raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.setting_bounds import at_least, fraction


@dataclass
class SafetySettings:
    """Knobs of the safety layer with production defaults."""

    max_input_chars: int = at_least(1, 4000)
    # Over-long input is refused rather than truncated: a truncated prompt could cut off the
    # harmless tail and leave only an injected head, and users get a clear message instead.
    truncate_long_input: bool = False
    redact_replies: bool = True
    redact_logs: bool = True
    redact_stored_turns: bool = True
    # Name of the environment variable that holds the HMAC key for cross-conversation pseudonyms.
    pseudonym_key_env: str = "PII_PSEUDONYM_KEY"
    pseudonym_mode: bool = False
    redact_person: bool = True
    redact_street_address: bool = True
    injection_threshold: float = fraction(0.65)
    scan_retrieved_chunks: bool = True
    chunk_injection_threshold: float = fraction(0.65)
    leak_ngram_words: int = at_least(1, 8)
    internal_roles: list[str] = field(default_factory=lambda: ["admin"])
