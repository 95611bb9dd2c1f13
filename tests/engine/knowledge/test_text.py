"""Chunking, sentence splitting, tokenization and language detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.knowledge.chunking import SECTION_BREAK, chunk_text, split_sentences
from app.engine.knowledge.language import detect_language
from app.engine.knowledge.tokenize import normalise, tokenize


def test_split_sentences_latin_cjk_thai_devanagari() -> None:
    assert split_sentences("One. Two! Three?") == ["One.", "Two!", "Three?"]
    assert split_sentences("北京是首都。上海很大！") == ["北京是首都。", "上海很大！"]
    assert split_sentences("ภาษาไทย ง่ายมาก") == ["ภาษาไทย", "ง่ายมาก"]
    assert split_sentences("यह एक है। वह दो है।") == ["यह एक है।", "वह दो है।"]


def test_a_semicolon_ends_a_sentence_only_in_greek() -> None:
    # In Greek it is the question mark; elsewhere it joins clauses of one sentence.
    assert split_sentences("Press Enter; Shift+Enter adds a line. Done.") == [
        "Press Enter; Shift+Enter adds a line.", "Done."]
    assert split_sentences("Πού είναι; Εδώ είναι.") == ["Πού είναι;", "Εδώ είναι."]


def test_chunks_respect_size_and_overlap() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    chunks = chunk_text(text, size=200, overlap=60)
    assert len(chunks) > 5
    assert all(len(c) <= 200 for c in chunks)
    # The last sentence of a chunk opens the next one.
    assert chunks[1].startswith(chunks[0].split(". ")[-1].rstrip(".")[:10])


def test_bad_chunk_settings() -> None:
    with pytest.raises(ValueError):
        chunk_text("x", size=10, overlap=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="abcdefg 北京。.!", min_size=1, max_size=80), min_size=1, max_size=20),
       st.integers(20, 200))
def test_chunking_never_exceeds_size_and_loses_no_word(parts: list[str], size: int) -> None:
    text = " ".join(parts)
    chunks = chunk_text(text, size=size, overlap=size // 4)
    assert all(len(c) <= size for c in chunks)
    assert set("".join(text.split())) <= set("".join("".join(chunks).split()))


def test_tokenize_uses_bigrams_for_cjk_and_thai() -> None:
    assert tokenize("北京大学") == ["北京", "京大", "大学"]
    assert "ไท" in tokenize("ภาษาไทย")
    assert tokenize("The Stadium, 2016!") == ["the", "stadium", "2016"]
    assert tokenize("बिजली के उपकरणों") == ["बिजली", "के", "उपकरणों"]


def test_normalise_folds_case_width_and_spaces() -> None:
    assert normalise("  ＡＢＣ   def ") == "abc def"


@pytest.mark.parametrize(("text", "lang"), [
    ("The quick brown fox jumps over the lazy dog near the river bank.", "en"),
    ("El rápido zorro marrón salta sobre el perro perezoso cerca del río.", "es"),
    ("这是一个关于北京大学历史的简短段落。", "zh"),
    ("ภาษาไทยเป็นภาษาที่สวยงาม", "th"),
    ("", "und"),
])
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_chinese_read_as_one_of_its_varieties_is_chinese() -> None:
    # py3langid labels this XQuAD paragraph "wuu" (Wu); the knowledge base speaks ISO 639-1.
    text = "六次格莱美奖得主及奥斯卡奖提名者女神卡卡献唱了国歌，而奥斯卡奖得主玛丽·麦特琳担任了美国手语 (ASL) 翻译。"
    assert detect_language(text) == "zh"


def test_detect_language_restricted_to_candidates() -> None:
    assert detect_language("Wie heißt das Stadion?", ["de", "en", "es"]) == "de"


def test_chunks_keep_paragraphs_on_their_own_lines() -> None:
    text = "Languages\n\nThe bot answers in your language. It knows 17 of them.\n\nPrivacy\n\nData is masked."
    (chunk,) = chunk_text(text, size=1200, overlap=0)
    assert chunk.splitlines() == ["Languages", "The bot answers in your language. It knows 17 of them.",
                                  "Privacy", "Data is masked."]


def test_sections_start_chunks_of_their_own() -> None:
    text = (f"{SECTION_BREAK}Guide\n\n{SECTION_BREAK}Languages\n\nAnswers come in your language.\n\n"
            f"{SECTION_BREAK}Privacy\n\nData is masked.")
    assert chunk_text(text, size=1200, overlap=0) == [
        "Guide\nLanguages\nAnswers come in your language.",  # a lone title joins the first section
        "Privacy\nData is masked.",
    ]
