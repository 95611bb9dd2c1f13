"""Unanswered questions are counted per tenant, ignoring case and punctuation."""

from __future__ import annotations

from sqlalchemy import Engine

from app.engine.gaps import GapRecorder, question_key
from tests.conftest import another_writer_first


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


def test_workers_counting_one_question_at_once_both_count(engine: Engine) -> None:
    gaps = GapRecorder(engine)
    question = "Is there a night bus?"
    other_worker = lambda: GapRecorder(engine).record("", "en", question)  # noqa: E731
    # Both find no gap and insert it: the second insert fails on the key and counts as a repeat.
    with another_writer_first(engine, "INSERT INTO chat_knowledge_gaps", other_worker) as raced:
        gaps.record("", "en", question)
    assert raced and [g.count for g in gaps.top("", 10)] == [2]
    # Both read count 2 and write it back plus one: the database adds, so neither count is lost.
    with another_writer_first(engine, "UPDATE chat_knowledge_gaps", other_worker) as raced:
        gaps.record("", "en", question)
    assert raced and [g.count for g in gaps.top("", 10)] == [4]


def test_question_key_normalises() -> None:
    assert question_key("Hello,  WORLD!") == question_key("hello world")
    assert question_key("hello world") != question_key("hello there")
