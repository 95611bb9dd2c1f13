"""Language identification shared by ingestion and search (py3langid, deterministic).

Scripts used by a single language in our set (Thai, Greek, Hangul, kana) are decided by script
first; everything else goes to py3langid, optionally restricted to the languages present in the
knowledge base, which makes short questions far more reliable. Raises nothing; returns "und".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_SCRIPT_LANGS = (
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
)
_LOCK = threading.Lock()
# py3langid also labels varieties that ISO 639-1 folds into one language: Chinese text read as Wu or
# Cantonese, Arabic as Moroccan or Egyptian. A passage labelled "wuu" is no longer the same language
# as a question in "zh" (no same-language preference; its sentences read by embedding, ~200 ms).
_MACROLANGUAGE = {"wuu": "zh", "yue": "zh", "ary": "ar", "arz": "ar", "uzs": "uz"}


def iso_language(code: str) -> str:
    """The ISO 639-1 code for a detector label (``wuu`` -> ``zh``); other labels unchanged."""
    return _MACROLANGUAGE.get(code, code)


@lru_cache(maxsize=32)
def _identifier(langs: tuple[str, ...]) -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE)
    if langs:
        ident.set_languages(list(langs))
    return ident


def detect_language(text: str, candidates: Iterable[str] = ()) -> str:
    """ISO 639-1 code of ``text`` or ``"und"`` when there is nothing to go on."""
    sample = text[:2000]
    if not sample.strip():
        return "und"
    allowed = tuple(sorted(set(candidates)))
    for pattern, lang in _SCRIPT_LANGS:
        if (not allowed or lang in allowed) and len(pattern.findall(sample)) * 3 > len(sample.strip()) // 2:
            return lang
    known = tuple(c for c in allowed if c != "und")
    try:
        with _LOCK:
            lang, _score = _identifier(known).classify(sample)
    except Exception:  # an identifier without one of the candidate languages: fall back to all
        with _LOCK:
            lang, _score = _identifier(()).classify(sample)
    return iso_language(str(lang))
