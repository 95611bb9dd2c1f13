"""Declared bounds of numeric settings, read by the config loader when it validates a section.

A field declared with ``at_least(1, 1200)`` or ``fraction(0.65)`` keeps its default and carries
its bounds in the dataclass field's metadata, so the settings modules stay plain dataclasses.
"""

from __future__ import annotations

import dataclasses
from typing import Any

MINIMUM = "minimum"
MAXIMUM = "maximum"


def at_least(minimum: float, default: Any) -> Any:
    """A field of ``default`` that must be ``minimum`` or more (a count that cannot be 0)."""
    return dataclasses.field(default=default, metadata={MINIMUM: minimum})


def fraction(default: Any) -> Any:
    """A field of ``default`` between 0 and 1 (a similarity, probability or share)."""
    return dataclasses.field(default=default, metadata={MINIMUM: 0, MAXIMUM: 1})
