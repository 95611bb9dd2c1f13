"""Exception hierarchy of the safety layer.

Every error raised on purpose by ``app.engine.safety`` derives from :class:`SafetyError`, so callers
can catch the whole family in one place. This module raises nothing itself.
"""

from __future__ import annotations


class SafetyError(Exception):
    """Base class of every error the safety layer raises on purpose."""


class InputTooLong(SafetyError):
    """The user input is longer than the configured limit (after normalisation)."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"input has {length} characters, the limit is {limit}")
        self.length = length
        self.limit = limit


class ModelArtifactError(SafetyError):
    """A committed model artifact is missing or malformed."""
