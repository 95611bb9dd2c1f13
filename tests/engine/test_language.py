"""Tests for app.engine.language: detection, script shortcuts, the resolve rules and accuracy on real data."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.language import LanguageDetector, count_words, dominant_script, iso_639_1, normalize_code
from app.engine.language_settings import SUPPORTED_LANGUAGES, LanguageSettings


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(LanguageSettings())


def test_settings_defaults_are_valid() -> None:
    settings = LanguageSettings()
    settings.validate()
    assert settings.default_language == "en"
    assert settings.short_message_words == 3
    assert len(settings.supported_languages) == 17


def test_settings_validate_rejects_unsupported_default() -> None:
    with pytest.raises(ValueError, match="default_language"):
        LanguageSettings(default_language="sv").validate()


@pytest.mark.parametrize(
    ("code", "expected"),
    [("zh-cn", "zh"), ("zh-TW", "zh"), ("EN", "en"), ("pt_BR", "pt"), ("no", "nb"), ("iw", "he"), ("de", "de")],
)
def test_normalize_code(code: str, expected: str) -> None:
    assert normalize_code(code) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [("ขอบคุณ", "th"), ("ευχαριστώ", "el"), ("안녕하세요", "ko"), ("ありがとう", "ja"), ("東京に行きます", "ja"),
     ("谢谢", "zh"), ("北京", "zh"), ("ქართული", "ka")],
)
def test_script_shortcuts_decide_single_words(detector: LanguageDetector, text: str, language: str) -> None:
    found = detector.detect(text)
    assert (found.language, found.method, found.confidence) == (language, "script", 1.0)


@pytest.mark.parametrize(
    ("text", "script"),
    [
        # Latin names and brands inside Greek or Chinese questions: the question is not Latin.
        ("Τι έκανε το Tesla Electric Light & Manufacturing;", "Grek"),
        ("Πόσα tackles κατέγραψε ο Luke Kuechly;", "Grek"),
        ("什么是 Python?", "Hani"),
        # A foreign word quoted inside a Latin-script question leaves it Latin.
        ("Was bedeutet ευχαριστώ?", "Latn"),
        ("How do I say こんにちは in Japanese?", "Latn"),
    ],
)
def test_latin_names_do_not_outvote_the_script_of_the_question(text: str, script: str) -> None:
    assert dominant_script(text) == script


def test_script_helpers() -> None:
    assert dominant_script("hello") == "Latn"
    assert dominant_script("日本語のテキスト") == "Kana"
    assert dominant_script("1234 !!") is None
    assert count_words("merci beaucoup") == 2
    assert count_words("你好吗今天天气怎么样") > 3


@pytest.mark.parametrize(
    ("text", "language"),
    [("Where is the nearest train station?", "en"), ("¿Dónde está la estación de tren más cercana?", "es"),
     ("Wo ist der nächste Bahnhof?", "de"), ("Où se trouve la gare la plus proche ?", "fr"),
     ("Где находится ближайший вокзал?", "ru"), ("شكرا جزيلا على المساعدة", "ar"), ("मुझे मदद चाहिए", "hi"),
     ("En yakın tren istasyonu nerede?", "tr"), ("Nhà ga gần nhất ở đâu?", "vi")],
)
def test_detects_sentences_of_supported_languages(detector: LanguageDetector, text: str, language: str) -> None:
    assert detector.detect(text).language == language


@pytest.mark.parametrize(
    ("text", "language"),
    [("Var ligger närmaste tågstation? Jag behöver åka till Göteborg idag.", "sv"),
     ("가장 가까운 기차역은 어디에 있나요?", "ko"), ("Kde je nejbližší vlakové nádraží? Potřebuji jet do Brna.", "cs")],
)
def test_reports_unsupported_languages(detector: LanguageDetector, text: str, language: str) -> None:
    found = detector.detect(text)
    assert found.language == language
    assert not detector.is_supported(found.language)


def test_detection_is_deterministic(detector: LanguageDetector) -> None:
    texts = ["porta", "ok merci", "bom dia", "tak", "gift"]
    first = [detector.detect(t) for t in texts]
    assert [LanguageDetector().detect(t) for t in texts] == first


def test_explicit_language_wins(detector: LanguageDetector) -> None:
    found = detector.resolve("Wo ist der Bahnhof?", explicit="FR", session_language="de")
    assert (found.language, found.method) == ("fr", "explicit")


@pytest.mark.parametrize("code", ["english", "xx", "qq", "en-US"])
def test_explicit_language_must_be_iso_639_1(detector: LanguageDetector, code: str) -> None:
    with pytest.raises(ValueError, match="ISO 639-1"):
        detector.resolve("hello", explicit=code, session_language=None)


@pytest.mark.parametrize(("code", "expected"), [
    ("fr", "fr"), ("DE", "de"), (" it ", "it"), ("iw", "he"), ("in", "id"), ("no", "nb"),
    ("xx", None), ("zz", None), ("eng", None), ("en-US", None), ("e", None),
])
def test_iso_639_1_names_languages_by_their_current_code(code: str, expected: str | None) -> None:
    assert iso_639_1(code) == expected


def test_short_unconfident_message_keeps_session_language(detector: LanguageDetector) -> None:
    found = detector.resolve("ok", explicit=None, session_language="de")
    assert (found.language, found.method) == ("de", "session")


def test_short_message_of_new_session_falls_back_to_default(detector: LanguageDetector) -> None:
    found = detector.resolve("ok", explicit=None, session_language=None)
    assert (found.language, found.method) == ("en", "default")


@pytest.mark.parametrize(
    ("text", "language"),
    [("Что такое NASUWT?", "ru"), ("राष्ट्रगान किसने गाया?", "hi"), ("Was ist Internet2?", "de"),
     ("¿Qué es DECnet?", "es")],
)
def test_short_first_message_the_default_cannot_be_in_gets_its_one_possible_language(
    detector: LanguageDetector, text: str, language: str
) -> None:
    """Unsure, but not English: Cyrillic is never English, and of the Cyrillic languages only
    Russian has replies (XQuAD questions that were answered in English)."""
    found = detector.resolve(text, explicit=None, session_language=None)
    assert found.language == language and found.method != "default"


@pytest.mark.parametrize("text", ["ok", "super", "Ce este NASUWT?"])
def test_short_first_message_stays_with_the_default_when_it_may_be_in_it_or_in_several(
    detector: LanguageDetector, text: str
) -> None:
    """"ok" may be English; Romanian (no replies) may be read as Spanish, Italian or Portuguese."""
    assert detector.resolve(text, explicit=None, session_language=None).method == "default"


def test_confident_short_message_overrides_session(detector: LanguageDetector) -> None:
    found = detector.resolve("ありがとう", explicit=None, session_language="en")
    assert (found.language, found.method) == ("ja", "script")


def test_long_message_uses_detection_even_when_session_differs(detector: LanguageDetector) -> None:
    found = detector.resolve("Wann wurde die Stadt Warschau gegründet und von wem?", explicit=None,
                             session_language="en")
    assert found.language == "de"


def test_message_without_letters_keeps_session_language(detector: LanguageDetector) -> None:
    assert detector.resolve("123 456 789 000 ???", explicit=None, session_language="fr").language == "fr"


def test_restriction_to_supported_only_still_works() -> None:
    narrow = LanguageDetector(LanguageSettings(detection_languages=list(SUPPORTED_LANGUAGES)))
    assert narrow.detect("Var ligger närmaste tågstation?").language in SUPPORTED_LANGUAGES


def _accuracy(detector: LanguageDetector, folder: Path, per_language: int) -> float:
    hits = total = 0
    for language in SUPPORTED_LANGUAGES:
        lines = [line.strip() for line in (folder / f"{language}.txt").read_text(encoding="utf-8").splitlines()]
        for text in [line for line in lines if line][:per_language]:
            total += 1
            hits += detector.detect(text).language == language
    return hits / total


def test_accuracy_floor_on_word_pairs_of_supported_languages(detector: LanguageDetector,
                                                             shared_data_dir: Path) -> None:
    # Measured 0.92 (0.77 on single words) on the development files (scripts/LANGID_RESULTS.md); the floor leaves room
    # for the 60-item sample used here and for model updates, without hiding a real regression.
    assert _accuracy(detector, shared_data_dir / "langid" / "word-pairs", 60) >= 0.85


def test_accuracy_floor_on_single_words_of_supported_languages(detector: LanguageDetector,
                                                               shared_data_dir: Path) -> None:
    assert _accuracy(detector, shared_data_dir / "langid" / "single-words", 60) >= 0.70


def test_langdetect_second_opinion_only_raises_confidence() -> None:
    plain = LanguageDetector(LanguageSettings(second_opinion=False))
    seconded = LanguageDetector(LanguageSettings(second_opinion=True))
    for text in ["porta aperta", "bom dia", "goede morgen", "tak", "obrigado pela ajuda"]:
        first, second = plain.detect(text), seconded.detect(text)
        assert second.language == first.language
        assert second.confidence >= first.confidence
        assert second.method in {"py3langid", "py3langid+langdetect", "script"}
        assert seconded.detect(text) == second


@pytest.mark.parametrize(
    ("text", "language", "allowed"),
    [
        ("Ce este Internet2?", "ro", True),  # Romanian at 0.11 against Spanish at 0.28
        ("Was ist Sepsis?", "en", False),  # English at 0.03 against German at 0.75
        ("Was ist Sepsis?", "de", True),
        ("Откуда кофе?", "de", False),  # Cyrillic: German is not even a candidate
        ("1234 !!", "en", False),  # nothing to go on
    ],
)
def test_a_detection_allows_the_languages_it_finds_likely_enough(text: str, language: str, allowed: bool) -> None:
    detection = LanguageDetector().resolve(text, explicit=None, session_language=None)
    assert detection.allows(language) is allowed
