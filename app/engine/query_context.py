"""Builds the retrieval query of a turn: the question itself plus, for follow-ups, recent turns.

The result is bounded by a token budget, so a 200-turn session or a 4,000-character message costs
the same as a short one. Raises nothing.
"""

from __future__ import annotations

import re

from app.engine.language import count_words

_QUESTION_END = re.compile(r"[?？؟;]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟])\s+")


def token_estimate(text: str) -> int:
    """Words for spaced scripts; roughly two characters per token for CJK and Thai."""
    words = len(text.split())
    return max(words, len(text) // 4 if words <= 2 else words)


def focus(message: str, max_chars: int) -> str:
    """The part of a long message that carries the question (its last question sentence)."""
    if len(message) <= max_chars:
        return message
    sentences = [s for s in _SENTENCE_END.split(message) if s.strip()]
    questions = [s for s in sentences if _QUESTION_END.search(s)]
    if questions:
        picked = questions[-1]
        return picked if len(picked) <= max_chars else picked[-max_chars:]
    return message[-max_chars:]


def retrieval_query(
    message: str,
    history: list[str],
    *,
    follow_up_max_words: int,
    token_budget: int,
    max_chars: int,
) -> str:
    """``message`` (focused), followed by the most recent earlier questions that fit the budget."""
    query = focus(message, max_chars)
    if count_words(query) > follow_up_max_words or not history:
        return query
    budget = token_budget - token_estimate(query)
    context: list[str] = []
    # The last two questions: a follow-up may refer to a question that was itself a follow-up.
    for earlier in reversed(history[-2:]):
        piece = focus(earlier, max_chars)
        cost = token_estimate(piece)
        if cost > budget:
            break
        context.append(piece)
        budget -= cost
    return " ".join([query, *context])
