"""Multilingual tokenization for BM25.

Words for space-delimited scripts (NFKC, case-folded, single letters dropped);
character bigrams for CJK and Thai, which have no spaces between words. Raises nothing.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# CJK ideographs, kana, hangul syllables and Thai: runs of these become character bigrams.
_NOSPACE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
# Combining marks (Devanagari matras, Arabic harakat, Latin accents when decomposed) stay inside words.
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0963\u0966-\u097f"
_TOKEN_RE = re.compile(rf"[{_NOSPACE}]+|(?:[^\W_]|[{_MARKS}])+", re.UNICODE)
_NOSPACE_RE = re.compile(rf"[{_NOSPACE}]")
# Thai combining vowels/tone marks would otherwise make half-syllable bigrams.
_THAI_MARKS = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


_ARABIC_WORD = re.compile(r"[\u0600-\u06ff]")
_ARABIC_DIACRITICS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
# Light stemming after Larkey et al.'s "light10": the article and conjunction prefixes carry no topic.
_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")


def _arabic(token: str) -> str:
    token = _ARABIC_DIACRITICS.sub("", token).translate(_ARABIC_FOLD)
    for prefix in _ARABIC_PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            return token[len(prefix) :]
    if token.startswith("و") and len(token) >= 4:
        return token[1:]
    return token


def normalise(text: str) -> str:
    """NFKC + casefold + collapsed whitespace: the form used for hashing queries and matching."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _bigrams(run: str) -> list[str]:
    run = _THAI_MARKS.sub("", run)
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` for the lexical index."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(normalise(text)):
        tok = match.group(0)
        if _NOSPACE_RE.match(tok):
            out.extend(_bigrams(tok))
        elif _ARABIC_WORD.match(tok):
            out.append(_arabic(tok))
        elif len(tok) > 1 or tok.isdigit():
            out.append(tok)
    return out


@lru_cache(maxsize=8192)
def token_set(sentence: str) -> frozenset[str]:
    """Distinct tokens of a knowledge-base sentence. Cached, and shared by answers and snippets:
    the same sentences are read turn after turn (8,192 sets of a few dozen tokens: ~10-15 MB)."""
    return frozenset(tokenize(sentence))
