"""Tests for app.engine.smalltalk: greetings/thanks in all 17 languages, cross-language triggers,
questions that are not small talk, and the default-language reply for languages without templates."""

from __future__ import annotations

import pytest

from app.engine.language import LanguageDetector
from app.engine.language_settings import SUPPORTED_LANGUAGES
from app.engine.smalltalk import SmallTalk, normalize


@pytest.fixture(scope="module")
def smalltalk() -> SmallTalk:
    return SmallTalk.load()


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


GREETINGS = {
    "en": "Hello!", "es": "¡Hola!", "fr": "Bonjour !", "de": "Guten Morgen", "it": "Ciao!", "pt": "Olá, tudo bem?",
    "nl": "Goedemorgen", "pl": "Dzień dobry", "ru": "Привет!", "zh": "你好！", "ja": "こんにちは", "ar": "مرحبا",
    "hi": "नमस्ते", "tr": "Merhaba", "el": "Καλημέρα", "vi": "Xin chào", "th": "สวัสดีครับ",
}
THANKS = {
    "en": "thanks a lot", "es": "gracias", "fr": "merci beaucoup", "de": "danke", "it": "grazie mille",
    "pt": "muito obrigado", "nl": "dank je wel", "pl": "dziękuję", "ru": "спасибо", "zh": "谢谢", "ja": "ありがとう",
    "ar": "شكرا", "hi": "धन्यवाद", "tr": "teşekkürler", "el": "ευχαριστώ", "vi": "cảm ơn", "th": "ขอบคุณ",
}


def test_examples_cover_all_supported_languages() -> None:
    assert set(GREETINGS) == set(THANKS) == set(SUPPORTED_LANGUAGES)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_greeting_recognised_in_each_language(smalltalk: SmallTalk, language: str) -> None:
    reply = smalltalk.match(GREETINGS[language], language)
    assert reply is not None
    assert (reply.intent, reply.language, reply.trigger_language) == ("greeting", language, language)
    assert reply.text in smalltalk.messages.locales[language].intents["greeting"].replies


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_thanks_recognised_in_each_language(smalltalk: SmallTalk, language: str) -> None:
    reply = smalltalk.match(THANKS[language], language)
    assert reply is not None
    assert (reply.intent, reply.language, reply.trigger_language) == ("thanks", language, language)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_detected_language_of_thanks_leads_to_its_reply(smalltalk: SmallTalk, detector: LanguageDetector,
                                                        language: str) -> None:
    # End to end over the two stages: the resolved language (new session) picks the templates.
    resolved = detector.resolve(THANKS[language], explicit=None, session_language=language)
    reply = smalltalk.match(THANKS[language], resolved.language)
    assert reply is not None and reply.intent == "thanks"
    assert reply.language == resolved.language == language


def test_foreign_trigger_is_still_small_talk(smalltalk: SmallTalk) -> None:
    reply = smalltalk.match("Danke!", "en")
    assert reply is not None
    assert (reply.intent, reply.language, reply.trigger_language) == ("thanks", "en", "de")


@pytest.mark.parametrize(
    "text",
    ["hi, can you tell me when Warsaw was founded?", "thanks, but what is the capital of France?",
     "hello world program in python", "你好，请问华沙是什么时候建立的？", "Danke, und wann wurde es gebaut?", ""],
)
def test_questions_and_fillers_are_not_small_talk(smalltalk: SmallTalk, text: str) -> None:
    assert smalltalk.match(text, "en") is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [("hello!", "greeting"), ("Hi there 👋", "greeting"), ("thanks, bye", "goodbye"), ("what can you do?", "help"),
     ("hi, what can you do?", "help"), ("OK thanks!!", "thanks"), ("good night", "goodbye")],
)
def test_english_intents(smalltalk: SmallTalk, text: str, intent: str) -> None:
    reply = smalltalk.match(text, "en")
    assert reply is not None and reply.intent == intent


def test_language_without_templates_replies_in_default(smalltalk: SmallTalk) -> None:
    reply = smalltalk.match("tack så mycket", "sv")
    assert reply is None or reply.language == "en"
    reply = smalltalk.match("спасибо", "sv")
    assert reply is not None and (reply.language, reply.intent) == ("en", "thanks")


def test_reply_choice_is_deterministic(smalltalk: SmallTalk) -> None:
    first = smalltalk.match("hello", "en", session_id="session-1")
    assert first == smalltalk.match("hello", "en", session_id="session-1")
    assert smalltalk.match("hello", "en") == smalltalk.match("hello", "en")
    replies = {smalltalk.match("hello", "en", session_id=f"s{i}") for i in range(20)}
    assert len({r.text for r in replies if r}) == 2


def test_accents_and_case_are_folded() -> None:
    assert normalize("ΕΥΧΑΡΙΣΤΏ!") == normalize("ευχαριστω")
    assert normalize("Cảm ơn") == normalize("cam on")
    assert normalize("  Merci   beaucoup !!! ") == "merci beaucoup"


def test_every_trigger_matches_its_own_intent(smalltalk: SmallTalk) -> None:
    for language, locale in smalltalk.messages.locales.items():
        for name, intent in locale.intents.items():
            for trigger in intent.triggers:
                reply = smalltalk.match(trigger, language)
                assert reply is not None, (language, trigger)
                assert reply.intent == name, (language, trigger, reply.intent)


@pytest.mark.parametrize(("text", "language"), [("ok", "en"), ("vale", "es"), ("alles klar", "de"), ("好的", "zh")])
def test_acknowledgements_get_a_short_reply(smalltalk: SmallTalk, text: str, language: str) -> None:
    reply = smalltalk.match(text, language)
    assert reply is not None and reply.intent == "acknowledgement" and reply.language == language


def test_a_question_is_ruled_out_with_one_segmentation(
    smalltalk: SmallTalk, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    segment = smalltalk._segment
    monkeypatch.setattr(smalltalk, "_segment", lambda text, vocab: calls.append(text) or segment(text, vocab))
    assert smalltalk.match("When was Acme Robotics founded?", "en") is None
    assert len(calls) == 1
    assert smalltalk.match("hello there, thanks!", "en") is not None
