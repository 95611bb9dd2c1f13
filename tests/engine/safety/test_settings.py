"""Tests for the settings dataclass."""

from __future__ import annotations

from dataclasses import fields

from app.engine.safety.settings import SafetySettings


def test_defaults_plain_types() -> None:
    s = SafetySettings()
    assert s.max_input_chars == 4000 and s.redact_logs and s.redact_stored_turns
    allowed = (str, int, float, bool, list, dict)
    assert all(isinstance(getattr(s, f.name), allowed) for f in fields(s))
