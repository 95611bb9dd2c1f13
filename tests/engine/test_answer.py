"""The extractive responder quotes the best sentences with citation markers."""

from __future__ import annotations

from app.engine.answer import ExtractiveResponder, Passage, SentenceSimilarity

WARSAW = (
    "Warsaw is the capital and largest city of Poland. It stands on the Vistula River in east-central "
    "Poland. The city was first mentioned in the 13th century. Warsaw became the capital in 1596."
)
TESLA = "Nikola Tesla was a Serbian-American inventor. He was born in 1856 in Smiljan."


def _passages() -> list[Passage]:
    return [Passage(1, 10, "Warsaw", WARSAW, "en", 0.9), Passage(2, 20, "Nikola Tesla", TESLA, "en", 0.5)]


def test_quotes_the_answer_sentence_with_a_marker() -> None:
    answer = ExtractiveResponder().compose("When did Warsaw become the capital?", _passages())
    assert "Warsaw became the capital in 1596." in answer.text
    assert answer.text.endswith("[1]")
    assert [p.document_id for p in answer.cited] == [1]
    assert "Tesla" not in answer.text


def test_at_most_two_sentences_not_the_whole_document() -> None:
    answer = ExtractiveResponder(max_sentences=2).compose("What river is Warsaw on?", _passages())
    assert "Vistula" in answer.text
    assert answer.text.count(".") <= 2


def test_markers_follow_the_cited_passages() -> None:
    # Two passages retrieved with close scores: the second one holds the answer.
    passages = [Passage(1, 10, "Warsaw", WARSAW, "en", 0.62), Passage(2, 20, "Nikola Tesla", TESLA, "en", 0.58)]
    answer = ExtractiveResponder().compose("When was Tesla born in Smiljan?", passages)
    assert "1856" in answer.text
    assert answer.text.endswith("[1]")  # numbering restarts at the first cited passage
    assert answer.cited[0].document_id == 2


def test_no_passages_means_no_answer() -> None:
    answer = ExtractiveResponder().compose("anything", [])
    assert answer.text == "" and answer.cited == []


def test_cjk_question_matches_by_character_bigrams() -> None:
    passage = Passage(3, 30, "华沙", "华沙是波兰的首都。华沙位于维斯瓦河畔。华沙在1596年成为首都。", "zh", 0.8)
    answer = ExtractiveResponder(max_sentences=1).compose("华沙位于哪条河畔？", [passage])
    assert "维斯瓦河" in answer.text


def test_inflected_forms_match_by_stem() -> None:
    # "ölmüştür" and "öldü" share no prefix long enough; only their stem ("öl") links them. Without
    # it, "yıl" ~ "yılında" would pick the birth year.
    text = "Tesla New York otellerinde yaşadı. Tesla 1856 yılında doğdu. Tesla 7 Ocak 1943 tarihinde öldü."
    passage = Passage(4, 40, "Nikola Tesla", text, "tr", 0.8)
    weights = {"tesla": 0.5, "hangi": 0.0, "yıl": 2.0, "ölmüştür": 4.0}
    answer = ExtractiveResponder(max_sentences=1).compose("Tesla hangi yıl ölmüştür?", [passage], weights)
    assert "1943" in answer.text


def test_stems_fold_umlauts() -> None:
    # "alt" ~ "älteste": the stemmer folds the umlaut that a prefix comparison trips over.
    text = "Peyton Manning führte zwei Teams zum Super Bowl. Mit 39 Jahren ist Manning der älteste Quarterback."
    passage = Passage(5, 50, "Super Bowl 50", text, "de", 0.8)
    weights = {"wie": 0.0, "war": 0.0, "alt": 3.0, "peyton": 2.0, "manning": 2.0}
    answer = ExtractiveResponder(max_sentences=1).compose("Wie alt war Peyton Manning?", [passage], weights)
    assert "39" in answer.text


def test_thai_fragments_are_joined_into_sentences() -> None:
    # Thai separates clauses and even the parts of a name with spaces; the answer must come whole.
    text = "ผู้นำการแซ็คของทีมคือ คาวันน์ ชอร์ต ในฤดูกาลนี้ ทีมรับของแพนเธอร์สเสียคะแนนเพียง 308 คะแนน"
    passage = Passage(6, 60, "Super Bowl 50", text, "th", 0.8)
    answer = ExtractiveResponder(max_sentences=1).compose("ใครเป็นผู้นำการแซ็ค", [passage])
    assert "คาวันน์ ชอร์ต" in answer.text


def _fixed_similarity(values: dict[str, float], calls: list[list[str]]) -> SentenceSimilarity:
    def similarity(sentences: list[str]) -> list[float]:
        calls.append(sentences)
        return [values.get(s, 0.80) for s in sentences]

    return similarity


def test_close_lexical_calls_are_settled_by_meaning() -> None:
    # Both sentences mention the anthem and the game; only meaning tells which one answers.
    text = "The anthem was played before the game by a marching band. Lady Gaga performed the anthem at the game."
    passage = Passage(7, 70, "Super Bowl 50", text, "en", 0.8)
    weights = {"who": 0.0, "sang": 3.0, "the": 0.0, "anthem": 2.0, "at": 0.0, "game": 1.0}
    calls: list[list[str]] = []
    similarity = _fixed_similarity({"Lady Gaga performed the anthem at the game.": 0.86}, calls)
    answer = ExtractiveResponder(max_sentences=1, close_calls=2).compose(
        "Who sang the anthem at the game?", [passage], weights, similarity, "en"
    )
    assert "Lady Gaga" in answer.text
    assert len(calls) == 1 and len(calls[0]) == 2


def test_a_clear_lexical_winner_is_not_embedded() -> None:
    calls: list[list[str]] = []
    answer = ExtractiveResponder(close_calls=2).compose(
        "When did Warsaw become the capital?", _passages(), None, _fixed_similarity({}, calls), "en"
    )
    assert "1596" in answer.text
    assert calls == []


def test_a_passage_in_another_language_is_read_by_meaning() -> None:
    passage = Passage(8, 80, "Warschau", "Warschau liegt an der Weichsel. Warschau wurde 1596 Hauptstadt.", "de", 0.8)
    calls: list[list[str]] = []
    similarity = _fixed_similarity({"Warschau wurde 1596 Hauptstadt.": 0.9}, calls)
    answer = ExtractiveResponder(max_sentences=1).compose(
        "When did Warsaw become the capital?", [passage], None, similarity, "en"
    )
    assert "1596" in answer.text
    assert calls and len(calls[0]) == 2


def test_a_passage_in_another_language_sharing_the_question_words_is_read_by_words() -> None:
    # "Wann entdeckte Scheele Sauerstoff?" detected as Luxembourgish still matches a German passage word for word.
    text = "Sauerstoff ist ein Element. Carl Wilhelm Scheele entdeckte Sauerstoff 1771 in Uppsala."
    passage = Passage(9, 90, "Sauerstoff", text, "de", 0.9, term_overlap=1.0)
    calls: list[list[str]] = []
    answer = ExtractiveResponder(max_sentences=1).compose(
        "Wann entdeckte Scheele Sauerstoff?", [passage], None, _fixed_similarity({}, calls), "lb"
    )
    assert "1771" in answer.text
    assert calls == []


def test_warm_up_fills_the_sentence_caches_until_the_deadline() -> None:
    from app.engine import answer as answer_module

    answer_module._words.cache_clear()
    responder = ExtractiveResponder()
    responder.warm_up(iter(_passages()), deadline=0.0)  # already past: nothing is prepared
    assert answer_module._words.cache_info().currsize == 0
    responder.warm_up(iter(_passages()), deadline=float("inf"))
    warmed = answer_module._words.cache_info().currsize
    assert warmed >= 6  # four Warsaw sentences and two Tesla sentences
    responder.compose("When did Warsaw become the capital?", _passages(), None, None, "en")
    assert answer_module._words.cache_info().currsize == warmed  # the turn found them all prepared


def test_close_calls_can_be_switched_off() -> None:
    text = "The anthem was played before the game by a marching band. Lady Gaga performed the anthem at the game."
    passage = Passage(7, 70, "Super Bowl 50", text, "en", 0.8)
    calls: list[list[str]] = []
    answer = ExtractiveResponder(max_sentences=1, close_calls=0).compose(
        "Who sang the anthem at the game?", [passage], {"sang": 3.0, "anthem": 2.0, "game": 1.0},
        _fixed_similarity({}, calls), "en",
    )
    assert answer.text and calls == []


def test_section_headings_are_not_answers() -> None:
    passage = Passage(9, 90, "Guide", "Languages\nThe bot answers in the language of each message.", "en", 0.9)
    answer = ExtractiveResponder(max_sentences=1).compose("Which languages?", [passage])
    assert answer.text == "The bot answers in the language of each message. [1]"
