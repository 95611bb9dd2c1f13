"""Tests for quoting internal documents."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.safety.access import can_quote, filter_quotable


@dataclass
class Doc:
    name: str
    visibility: str


def test_can_quote() -> None:
    assert can_quote("public", frozenset())
    assert not can_quote("internal", frozenset({"user"}))
    assert can_quote("internal", frozenset({"admin"}))
    assert not can_quote("secret-unknown", frozenset({"user"}))


def test_filter_quotable() -> None:
    docs = [Doc("a", "public"), Doc("b", "internal")]
    assert [d.name for d in filter_quotable(docs, frozenset())] == ["a"]
    assert [d.name for d in filter_quotable(docs, frozenset({"admin"}))] == ["a", "b"]
