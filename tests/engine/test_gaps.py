"""Unanswered questions are counted per tenant, ignoring case and punctuation."""

from __future__ import annotations

from sqlalchemy import Engine

from app.engine.gaps import GapRecorder, question_key


def test_same_question_counts_once(engine: Engine) -> None:
    gaps = GapRecorder(engine)
    gaps.record("", "en", "What is the weather on Mars?")
    gaps.record("", "en", "what is the weather on mars")
    gaps.record("", "en", "Who makes the best pizza?")
    gaps.record("other", "en", "What is the weather on Mars?")
    top = gaps.top("", 10)
    expected = [("What is the weather on Mars?", 2), ("Who makes the best pizza?", 1)]
    assert [(g.question, g.count) for g in top] == expected
    assert len(gaps.top("other", 10)) == 1


def test_question_key_normalises() -> None:
    assert question_key("Hello,  WORLD!") == question_key("hello world")
    assert question_key("hello world") != question_key("hello there")
