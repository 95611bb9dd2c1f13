"""Word stems per language (Snowball, via the pure-Python ``snowballstemmer``), so inflected forms
of a question word are recognised in an answer where a shared prefix is not enough ("ölmüştür" ~
"öldü", "alt" ~ "älteste", "долго" ~ "долгий"). snowballstemmer runs the C build (PyStemmer) when it is
installed, as requirements.txt does: ~3 µs a word instead of ~30 µs in pure Python; results are
cached. Raises nothing: languages without a stemmer (Chinese, Thai, Vietnamese) keep words as they are."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

import snowballstemmer

# ISO 639-1 code -> Snowball algorithm.
_ALGORITHMS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fi": "finnish", "fr": "french",
    "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
}


# A Snowball stemmer keeps its working state on the instance: one instance per language, used under a lock.
_LOCK = threading.Lock()


@lru_cache(maxsize=64)
def _stemmer(language: str) -> Any:
    algorithm = _ALGORITHMS.get(language)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@lru_cache(maxsize=100_000)
def stem(word: str, language: str) -> str:
    """The stem of a case-folded ``word``; the word itself when the language has no stemmer."""
    stemmer = _stemmer(language)
    if stemmer is None:
        return word
    with _LOCK:
        return str(stemmer.stemWord(word))


def stems(words: list[str], language: str | None) -> list[str]:
    """``stem`` of each word; the words themselves when the language is unknown."""
    return [stem(word, language) for word in words] if language else words
