"""Retrieval queries: follow-ups fold in history; long inputs stay bounded."""

from __future__ import annotations

import pytest

from app.engine.query_context import focus, is_follow_up, retrieval_query

ARGS = {"follow_up_max_words": 8, "token_budget": 96, "max_chars": 600}


def test_follow_up_includes_the_previous_question() -> None:
    query = retrieval_query("And when was it founded?", ["Tell me about Acme Robotics"], **ARGS)
    assert query == "And when was it founded? Tell me about Acme Robotics"


def test_self_contained_question_is_left_alone() -> None:
    question = "Which river flows through the city of Warsaw in Poland today?"
    assert retrieval_query(question, ["Who was Nikola Tesla?"], **ARGS) == question
    # Short, but not about the earlier topic: no pronoun, no leading "and".
    assert retrieval_query("What is the capital of Australia?", ["When did Tesla die?"], **ARGS) == (
        "What is the capital of Australia?"
    )


@pytest.mark.parametrize(
    "message",
    ["How many Grammys has she won?", "Und wann wurde sie gegründet?", "¿Y dónde está su sede?", "它何时成立？"],
)
def test_follow_up_cues_in_several_languages(message: str) -> None:
    assert is_follow_up(message)


def test_history_is_bounded_by_the_budget_and_recency() -> None:
    history = [f"question number {i} " + "word " * 30 for i in range(200)]
    query = retrieval_query("and then what happened to it?", history, **ARGS)
    assert "question number 199" in query
    assert "question number 197" not in query
    assert len(query.split()) <= ARGS["token_budget"]


def test_long_message_is_focused_on_its_question() -> None:
    padding = "I hope you are well and thank you for your time. " * 80
    message = padding + "When did Warsaw become the capital of Poland?"
    focused = focus(message, 600)
    assert focused == "When did Warsaw become the capital of Poland?"
    assert len(focus("x" * 4000, 600)) == 600


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("What year did Tesla die? ??", "What year did Tesla die? ??"),
        ("What year did Tesla die?!?", "What year did Tesla die?!?"),
        ("Hmm... who founded Tesla?", "who founded Tesla?"),
        ("Call me on Monday. ??? Who founded Tesla? ?", "Who founded Tesla?"),
    ],
)
def test_clauses_of_punctuation_alone_are_not_the_question(message: str, expected: str) -> None:
    # "die? ??" once sent "? ?" to retrieval and answered from an unrelated licence text.
    assert focus(message, 600) == expected
