"""The extractive responder quotes the best sentences with citation markers."""

from __future__ import annotations

from app.engine.answer import ExtractiveResponder, Passage

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
