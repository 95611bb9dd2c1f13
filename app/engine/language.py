"""Language stage of the chat pipeline: detect the language of a message and resolve the reply language.

`LanguageDetector.detect` combines three signals, cheapest first:

1. the writing system: a script used by one language only (Thai, Greek, Hangul, kana, Han, ...)
   decides at once, which makes single words in those languages reliable;
2. py3langid restricted to the detection languages of that script, with a prior favouring the
   supported languages (short Latin-script words are ambiguous and traffic is mostly in them);
3. optionally (`second_opinion`, off by default), langdetect with a fixed seed when py3langid alone
   is not confident: agreement raises the confidence; it never changes the label (that measured worse).

`LanguageDetector.resolve` applies the conversation rules: an explicit code wins; a short message
keeps the session language unless detection is confident; a new session falls back to the default.

Models load lazily on first use. Deterministic: the same text always gives the same detection.
Raises ValueError for an explicit language that is not an ISO 639-1 code; nothing else.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import langcodes

from app.engine.language_settings import LanguageSettings

__all__ = ["Detection", "LanguageDetector", "LanguageSettings", "dominant_script", "iso_639_1", "normalize_code"]

# Codes detectors emit that differ from the ISO 639-1 code we report.
_CODE_ALIASES = {
    "zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh", "zh-hant": "zh", "yue": "zh", "wuu": "zh",
    "no": "nb", "iw": "he", "in": "id", "ji": "yi", "jw": "jv", "fil": "tl",
}
_TWO_LETTERS = re.compile(r"^[a-z]{2}$")

# Unicode blocks of the scripts that matter for detection, as (first, last, script).
_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "Grek"), (0x1F00, 0x1FFF, "Grek"),
    (0x0400, 0x052F, "Cyrl"), (0x0530, 0x058F, "Armn"), (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"), (0x08A0, 0x08FF, "Arab"),
    (0xFB50, 0xFDFF, "Arab"), (0xFE70, 0xFEFF, "Arab"),
    (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"), (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Laoo"),
    (0x0F00, 0x0FFF, "Tibt"), (0x1000, 0x109F, "Mymr"), (0x10A0, 0x10FF, "Geor"),
    (0x1100, 0x11FF, "Hang"), (0x1200, 0x137F, "Ethi"), (0x1780, 0x17FF, "Khmr"),
    (0x3040, 0x30FF, "Kana"), (0x31F0, 0x31FF, "Kana"), (0xFF66, 0xFF9F, "Kana"),
    (0x3130, 0x318F, "Hang"), (0xAC00, 0xD7AF, "Hang"),
    (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"), (0xF900, 0xFAFF, "Hani"),
    (0x20000, 0x2FA1F, "Hani"),
)

# Languages written in each non-Latin script; a script with one language decides on its own.
_SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {
    "Grek": frozenset({"el"}), "Armn": frozenset({"hy"}), "Hebr": frozenset({"he", "yi"}),
    "Cyrl": frozenset({"ru", "uk", "bg", "be", "mk", "sr", "kk", "ky", "mn", "tg", "tt", "ba"}),
    "Arab": frozenset({"ar", "fa", "ur", "ps", "ku", "ug", "sd"}),
    "Deva": frozenset({"hi", "mr", "ne", "sa"}), "Beng": frozenset({"bn", "as"}),
    "Guru": frozenset({"pa"}), "Gujr": frozenset({"gu"}), "Orya": frozenset({"or"}),
    "Taml": frozenset({"ta"}), "Telu": frozenset({"te"}), "Knda": frozenset({"kn"}),
    "Mlym": frozenset({"ml"}), "Sinh": frozenset({"si"}), "Thai": frozenset({"th"}),
    "Laoo": frozenset({"lo"}), "Tibt": frozenset({"dz", "bo"}), "Mymr": frozenset({"my"}),
    "Geor": frozenset({"ka"}), "Hang": frozenset({"ko"}), "Ethi": frozenset({"am", "ti"}),
    "Khmr": frozenset({"km"}), "Kana": frozenset({"ja"}), "Hani": frozenset({"zh"}),
}
# Scripts written without spaces between words: their word count is estimated from characters.
_UNSPACED_SCRIPTS = frozenset({"Hani", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
# Languages that also have a Latin orthography, so they stay candidates for Latin text.
_ALSO_LATIN = frozenset({"sr", "ku", "uz", "tk", "az"})
_NON_LATIN = frozenset().union(*_SCRIPT_LANGUAGES.values()) - _ALSO_LATIN


@lru_cache(maxsize=1024)
def normalize_code(code: str) -> str:
    """Return the ISO 639-1 code for a detector or user code ("zh-CN" -> "zh", "no" -> "nb")."""
    lowered = code.strip().lower().replace("_", "-")
    if lowered in _CODE_ALIASES:
        return _CODE_ALIASES[lowered]
    primary = lowered.split("-", 1)[0]
    return _CODE_ALIASES.get(primary, primary)


def iso_639_1(code: str) -> str | None:
    """The ISO 639-1 code a caller's two-letter ``code`` names, as this service reports it ("FR" ->
    "fr", withdrawn "iw" -> "he", "no" -> "nb"); ``None`` if it names no language ("xx", "english").
    Validity is the IANA language subtag registry's, whose two-letter subtags are ISO 639-1."""
    if not _TWO_LETTERS.match(code.strip().lower()):
        return None
    normalized = normalize_code(code)
    return normalized if langcodes.tag_is_valid(normalized) else None


# Every character of every message is looked up, and messages use few distinct characters.
@lru_cache(maxsize=8192)
def _char_script(char: str) -> str | None:
    point = ord(char)
    if point < 0x0370:
        return "Latn" if char.isalpha() else None
    if 0x1E00 <= point <= 0x1EFF or 0xFF21 <= point <= 0xFF5A:
        return "Latn"
    for first, last, script in _SCRIPT_RANGES:
        if first <= point <= last:
            return script
    return None


def _script_counts(text: str) -> Counter[str]:
    return Counter(s for s in map(_char_script, text) if s is not None)


def dominant_script(text: str) -> str | None:
    """The script of most letters in *text* ("Latn", "Cyrl", "Hani", ...); kana makes Han text "Kana".

    Latin words inside other scripts are mostly names, brands and loanwords ("Τι έκανε το Tesla
    Electric Light & Manufacturing;", "什么是 Python?"), so when Latin has the most letters but the
    other script has more words than there are lower-case Latin words, the other script wins."""
    counts = _script_counts(text)
    if not counts:
        return None
    if counts.get("Kana"):
        # Japanese mixes kanji with kana; any kana means Japanese rather than Chinese.
        counts["Kana"] += counts.pop("Hani", 0)
    ranked = counts.most_common(2)
    if ranked[0][0] == "Latn" and len(ranked) > 1 and _outweighs_latin(text, ranked[1][0]):
        return ranked[1][0]
    return ranked[0][0]


_OPENING_PUNCTUATION = "\"'«“‘(¿¡[-"


def _outweighs_latin(text: str, script: str) -> bool:
    """More words in ``script`` than lower-case Latin words (which names rarely are)."""
    other = plain_latin = 0
    for token in text.split():
        scripts = [_char_script(c) for c in token]
        if script in scripts:
            letters = scripts.count(script)
            other += math.ceil(letters / 2) if script in _UNSPACED_SCRIPTS else 1
        elif "Latn" in scripts and token.lstrip(_OPENING_PUNCTUATION)[:1].islower():
            plain_latin += 1
    return other > plain_latin


def count_words(text: str) -> int:
    """Words in *text*; for scripts without spaces, about two characters make a word."""
    words = 0
    for token in text.split():
        unspaced = sum(1 for c in token if _char_script(c) in _UNSPACED_SCRIPTS)
        words += math.ceil(unspaced / 2) if unspaced else int(any(c.isalnum() for c in token))
    return words


# How likely, against the detector's first choice, another language must be to count as possible.
_PLAUSIBLE_SHARE = 0.25


@dataclass(frozen=True)
class Detection:
    """A language decision: ISO 639-1 code, probability-like confidence, and how it was reached.

    method is one of: script, py3langid, py3langid+langdetect, none (no letters),
    explicit, session, default.
    """

    language: str
    confidence: float
    method: str
    # The detector's own label when the rules chose another language (method session or default).
    guess: str = ""
    # py3langid's probabilities over the languages the text's script allows (empty when the script
    # alone decided, or there was nothing to go on).
    scores: Mapping[str, float] = field(default_factory=dict, compare=False, hash=False)

    @cached_property
    def plausible(self) -> frozenset[str]:
        """The languages the text may well be in: those its script allows (Cyrillic text is never
        English) that the detector found at least a quarter as likely as its first choice.
        Measured: "Ce este Internet2?" is Romanian at 0.11 against Spanish at 0.28, "Was ist
        Sepsis?" English at 0.03 against German at 0.75."""
        best = max(self.scores.values(), default=0.0)
        if best <= 0:
            return frozenset()
        return frozenset(lang for lang, p in self.scores.items() if p >= _PLAUSIBLE_SHARE * best)

    def allows(self, language: str) -> bool:
        """Whether the text may well be in *language* (see ``plausible``)."""
        return normalize_code(language) in self.plausible


class LanguageDetector:
    """Detect and resolve message languages per `LanguageSettings`; thread-safe, models load lazily."""

    def __init__(self, settings: LanguageSettings | None = None) -> None:
        self.settings = settings or LanguageSettings()
        self._supported = frozenset(self.settings.supported_languages)
        self._detectable = frozenset(normalize_code(c) for c in self.settings.detection_languages)
        self._prior = math.exp(self.settings.supported_prior)
        self._lock = threading.Lock()
        self._py3langid: Any = None
        self._langdetect: Any = None

    # -- public API -----------------------------------------------------------------------------
    def is_supported(self, language: str) -> bool:
        """True when replies (templates) exist for *language*."""
        return language in self._supported

    def detect(self, text: str) -> Detection:
        """Detect the language of *text*; never raises, `method == "none"` when there is nothing to go on."""
        script = dominant_script(text)
        if script is None:
            return Detection(self.settings.default_language, 0.0, "none")
        candidates = self._candidates(script)
        if len(candidates) == 1:
            return Detection(next(iter(candidates)), 1.0, "script")
        probs = self._py3langid_probs(text, candidates)
        best = max(probs, key=lambda lang: (probs[lang], lang))
        if probs[best] >= self.settings.confidence_threshold or not self.settings.second_opinion:
            return Detection(best, probs[best], "py3langid", scores=probs)
        second = self._langdetect_probs(text, candidates)
        if not second or max(second, key=lambda lang: (second[lang], lang)) != best:
            return Detection(best, probs[best], "py3langid", scores=probs)
        # Measured: letting langdetect change the label loses 7-10 points on short texts, but when
        # both detectors agree the label is right far more often, so agreement only raises confidence
        # (noisy-OR of the two probabilities).
        agreed = 1.0 - (1.0 - probs[best]) * (1.0 - second[best])
        return Detection(best, agreed, "py3langid+langdetect", scores=probs)

    def resolve(self, text: str, *, explicit: str | None, session_language: str | None) -> Detection:
        """The language to reply in for *text*, applying the explicit/short-message/session rules."""
        if explicit:
            code = iso_639_1(explicit)
            if code is None:
                raise ValueError(f"not an ISO 639-1 language code: {explicit!r}")
            return Detection(code, 1.0, "explicit")
        detection = self.detect(text)
        confident = detection.confidence >= self.settings.confidence_threshold
        short = count_words(text) <= self.settings.short_message_words
        if detection.method != "none" and (confident or not short):
            return detection
        guess = detection.language if detection.method != "none" else ""
        if session_language:
            return Detection(normalize_code(session_language), detection.confidence, "session", guess,
                             detection.scores)
        only = self._only_supported_candidate(detection)
        if only:
            return Detection(only, detection.scores[only], detection.method, guess, detection.scores)
        return Detection(self.settings.default_language, detection.confidence, "default", guess, detection.scores)

    def _only_supported_candidate(self, detection: Detection) -> str:
        """For a short first message the default language cannot be in: the one language with replies
        that the text may well be in, or "" when there are none or several.

        The default is for what could as well be in it ("ok", "super"). "Что такое NASUWT?" is not
        English, and of the Cyrillic languages only Russian has replies; "Was ist Internet2?" is
        German at 0.70 against English at 0.04. "Ce este NASUWT?" (Romanian, no replies) may be
        Spanish, Italian or Portuguese: that stays with the default. Before, 34 of the 7,584 XQuAD
        questions were answered in English."""
        if detection.allows(self.settings.default_language):
            return ""
        possible = [lang for lang in detection.plausible if self.is_supported(lang)]
        return possible[0] if len(possible) == 1 else ""

    # -- internals ------------------------------------------------------------------------------
    def _candidates(self, script: str) -> frozenset[str]:
        if script == "Latn":
            return self._detectable - _NON_LATIN
        languages = _SCRIPT_LANGUAGES.get(script, frozenset())
        # Han-only text is Chinese even when zh is not a detection language: say so, don't guess.
        return (languages & self._detectable) or languages or self._detectable

    def _weight(self, language: str) -> float:
        return self._prior if language in self._supported else 1.0

    def _py3langid_probs(self, text: str, candidates: frozenset[str]) -> dict[str, float]:
        identifier = self._load_py3langid()
        scores: dict[str, float] = {}
        for code, prob in identifier.rank(text):
            lang = normalize_code(code)
            if lang in candidates:
                scores[lang] = scores.get(lang, 0.0) + float(prob) * self._weight(lang)
        total = sum(scores.values())
        if total <= 0.0:
            return {lang: 1.0 / len(candidates) for lang in candidates}
        return {lang: score / total for lang, score in scores.items()}

    def _langdetect_probs(self, text: str, candidates: frozenset[str]) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        factory = self._load_langdetect()
        prior = {}
        for code in factory.get_lang_list():
            lang = normalize_code(code)
            if lang in candidates:
                prior[code] = self._weight(lang)
        if not prior:
            return {}
        detector = factory.create()
        detector.set_prior_map(prior)
        detector.append(text)
        try:
            ranked = detector.get_probabilities()
        except LangDetectException:  # no usable features (digits, emoji, ...)
            return {}
        result: dict[str, float] = {}
        for item in ranked:
            lang = normalize_code(item.lang)
            result[lang] = result.get(lang, 0.0) + float(item.prob)
        return result

    def _load_py3langid(self) -> Any:
        with self._lock:
            if self._py3langid is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                known = set(identifier.labels)
                wanted = {_model_code(lang) for lang in self._detectable} & known
                identifier.set_languages(sorted(wanted))
                self._py3langid = identifier
            return self._py3langid

    def _load_langdetect(self) -> Any:
        with self._lock:
            if self._langdetect is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.set_seed(self.settings.langdetect_seed)
                self._langdetect = factory
            return self._langdetect


def _model_code(language: str) -> str:
    """py3langid's label for an ISO 639-1 code (it says "no" for Norwegian Bokmål)."""
    return "no" if language == "nb" else language
