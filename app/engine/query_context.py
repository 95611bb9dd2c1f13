"""Builds the retrieval query of a turn: the question itself plus, for follow-ups, recent turns.

The result is bounded by a token budget, so a 200-turn session or a 4,000-character message costs
the same as a short one. Raises nothing.
"""

from __future__ import annotations

import re

from app.engine.language import count_words

_QUESTION_END = re.compile(r"[?？؟;]")
# Words that make a short message lean on the previous one: leading "and"/"what about", or a
# third-person pronoun or demonstrative ("when was it founded?", "how many has she won?").
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|also|what about|how about|und|auch|y|también|et|aussi|e|anche|en|ook|i|też|а|и|ve|peki|και|"
    r"còn|và|و|और|还有|那|それで|では|แล้ว)\b",
    re.IGNORECASE,
)
_FOLLOW_UP_WORD = re.compile(
    r"\b(it|its|he|she|his|her|him|they|them|their|this|that|there|these|those|er|sie|es|ihr|ihm|ihn|sein|seine|"
    r"dort|dies|él|ella|ellos|su|sus|allí|eso|il|elle|ils|elles|son|sa|ses|leur|là|lui|ciò|lei|loro|suo|sua|"
    r"lì|ele|ela|eles|dele|dela|lá|isso|hij|zij|het|zijn|haar|hun|daar|dat|on|ona|ono|oni|jego|jej|ich|tam|"
    r"он|она|оно|они|его|её|их|там|это|o|onun|onlar|orada|bu|şu|αυτός|αυτή|αυτό|του|της|εκεί|nó|anh ấy|cô ấy|"
    r"họ|đó|هو|هي|هم|ذلك|هناك|वह|वे|उसके|उसकी|उसका|वहाँ|यह)\b|[他她它其该那这]|彼|それ|その|あの|เขา|มัน|นั้น",
    re.IGNORECASE,
)


def is_follow_up(message: str) -> bool:
    """A short message that refers back to the conversation rather than standing on its own."""
    clauses = [c for c in _CLAUSE_END.split(message) if c.strip()]
    return any(_FOLLOW_UP_START.search(c) for c in clauses) or bool(_FOLLOW_UP_WORD.search(message))
_CLAUSE_END = re.compile(r"(?<=[.!?。！？:：;؟])\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟])\s+")


def token_estimate(text: str) -> int:
    """Words for spaced scripts; roughly two characters per token for CJK and Thai."""
    words = len(text.split())
    return max(words, len(text) // 4 if words <= 2 else words)


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def focus(message: str, max_chars: int) -> str:
    """The part of a message that carries the question: its question clauses when it also has
    other content ("call me back on ..., but first: who won?"), bounded by ``max_chars``."""
    if len(message) <= max_chars:
        # A clause of punctuation alone ("die? ??", "Hmm... who?") carries nothing to search for.
        clauses = [c.strip() for c in _CLAUSE_END.split(message) if _has_word(c)]
        questions = [i for i, c in enumerate(clauses) if _QUESTION_END.search(c[-1:])]
        if len(clauses) < 2 or not questions:
            return message
        picked = questions[-2:]
        # A question leaning on what came before it ("When was it founded?") keeps that clause.
        if picked[0] > 0 and is_follow_up(clauses[picked[0]]):
            picked = [picked[0] - 1, *picked]
        return " ".join(clauses[i] for i in sorted(set(picked)))
    sentences = [s for s in _SENTENCE_END.split(message) if _has_word(s)]
    asked = [s for s in sentences if _QUESTION_END.search(s)]
    if asked:
        last = asked[-1]
        return last if len(last) <= max_chars else last[-max_chars:]
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
    if count_words(query) > follow_up_max_words or not history or not is_follow_up(query):
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
