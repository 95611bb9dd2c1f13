"""Stop words per language (stopwordsiso), so function words ("what", "did", "die") do not steer
which sentence answers a question. Raises nothing: unknown languages have no stop words."""

from __future__ import annotations

from functools import lru_cache

import stopwordsiso


@lru_cache(maxsize=64)
def stopwords_for(language: str) -> frozenset[str]:
    if not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(word.casefold() for word in stopwordsiso.stopwords(language))


def content_weights(weights: dict[str, float], language: str) -> dict[str, float]:
    """``weights`` with the language's stop words set to zero."""
    stop = stopwords_for(language)
    return {term: 0.0 if term in stop else weight for term, weight in weights.items()}
