"""Retrieval confidence: a passage that only stands out from the query's background must share a word
with the question, unless the knowledge base has nothing in the question's language."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from app.engine.chat_settings import ChatSettings
from app.engine.knowledge import SearchHit
from app.engine.pipeline import ChatPipeline


def _hit(text: str, language: str, dense: float, overlap: float = 0.0) -> SearchHit:
    return SearchHit(chunk_id=1, document_id=1, title="t", text=text, language=language,
                     score=dense, source="s", visibility="public", dense_score=dense, term_overlap=overlap)


def _pool(top: list[SearchHit], background_language: str) -> list[SearchHit]:
    # The best passage stands out by a margin (0.79 vs a background median of 0.75), below the
    # absolute threshold (0.84): only the margin rule can make it confident.
    return top + [_hit("unrelated text", background_language, 0.75) for _ in range(19)]


def _confident(pool: list[SearchHit], query: str, language: str) -> bool:
    owner: Any = SimpleNamespace(c=SimpleNamespace(settings=ChatSettings()))
    return ChatPipeline._confident(owner, pool, query, language)


SHIPPING = "Orders placed before 14:00 leave our warehouse on the same day."


def test_a_standout_passage_sharing_no_word_is_not_an_answer() -> None:
    pool = _pool([_hit(SHIPPING, "en", 0.79)], "en")
    assert not _confident(pool, "What will the weather be like on Mars tomorrow?", "en")


def test_a_shared_word_keeps_the_margin_rule() -> None:
    pool = _pool([_hit(SHIPPING, "en", 0.79, overlap=0.5)], "en")
    assert _confident(pool, "When do orders leave the warehouse?", "en")


def test_an_inflected_shared_word_counts() -> None:
    # "ölmüştür" (question) and "öldü" (passage) are one word to the stemmer; term_overlap (exact) is 0.
    pool = _pool([_hit("Tesla 7 Ocak 1943 tarihinde öldü.", "tr", 0.79)], "tr")
    assert _confident(pool, "hangi yıl ölmüştür?", "tr")


def test_without_passages_in_the_question_language_the_margin_decides() -> None:
    # A Japanese question over English documents cannot share words with them.
    pool = _pool([_hit(SHIPPING, "en", 0.79)], "en")
    assert _confident(pool, "注文はいつ出荷されますか？", "ja")
