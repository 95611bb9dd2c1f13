"""Quoting rules for knowledge documents marked ``public`` or ``internal``.

Internal text may only be quoted to callers holding one of the privileged roles (``admin`` by
default); unknown visibility values are treated as internal (fail closed). Raises nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

PUBLIC = "public"
INTERNAL = "internal"
DEFAULT_PRIVILEGED = frozenset({"admin"})


class HasVisibility(Protocol):
    @property
    def visibility(self) -> str: ...


T = TypeVar("T", bound=HasVisibility)


def can_quote(visibility: str, roles: frozenset[str], privileged: frozenset[str] = DEFAULT_PRIVILEGED) -> bool:
    """True when a document of ``visibility`` may be quoted to a caller with ``roles``."""
    if visibility.strip().lower() == PUBLIC:
        return True
    return bool(roles & privileged)


def filter_quotable(
    items: Iterable[T], roles: frozenset[str], privileged: frozenset[str] = DEFAULT_PRIVILEGED
) -> list[T]:
    """The items (anything with a ``visibility`` attribute) that may be quoted to ``roles``."""
    return [item for item in items if can_quote(item.visibility, roles, privileged)]
