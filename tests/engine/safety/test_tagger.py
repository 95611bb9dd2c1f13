"""The name and address tagger: its fast feature path, and labelling only where a kept span could be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.engine.safety import tagger
from app.engine.safety.features import hash_feature

TEXTS = [
    "Jane Doe lives at 12 Main Street, Apt. 5, Springfield.",
    "Herr Müller wohnt in der Hauptstraße 7 in 10115 Berlin.",
    "je m'appelle Élodie Martin, 3 rue de la Paix",
    "Beyoncé Giselle Knowles-Carter (born September 4, 1981) is an American singer.",
    "ok",
    "a",
    "",
    "123 456 7890",
    "Ο Παναθηναϊκός κέρδισε το πρωτάθλημα το 1930.",
    "Панкратов родился в Москве\nи жил на улице Ленина 5",
    "北京是中国的首都。",
    "call me maybe, o'neil’s car!",
]


@pytest.mark.parametrize("text", TEXTS)
def test_feature_rows_hash_exactly_the_training_features(text: str) -> None:
    model = tagger.get_tagger()
    tokens = tagger.tokenize(text)
    expected = [
        sorted(hash_feature(f, tagger.N_BUCKETS) for f in row)
        for row in tagger.sentence_features(tokens, model.first, model.last)
    ]
    assert [sorted(row) for row in model.feature_rows(tokens)] == expected


def _label_every_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tagger.PiiTagger, "span_labels", lambda self, tokens: self.label_tokens(tokens))


class _Counting(tagger.PiiTagger):
    def __init__(self) -> None:
        super().__init__()
        self.labelled = 0

    def _labels(self, rows: list[list[int]]) -> list[int]:
        self.labelled += len(rows)
        return super()._labels(rows)


@pytest.mark.parametrize(
    ("text", "labelled"),
    [
        ("北京是中国的首都。", 0),
        ("كم عدد سكان القاهرة؟", 0),
        ("what is the refund policy", 0),
        ("please ask john about it", 1),  # a lower-case name from the lexicon
        ("ship it to 12 main street", 1),  # a street word
        ("When did Tesla die?", 2),  # capitalised words, both labelled O: nothing to grow from
        # A name: the word before it and the punctuation after it, up to the next word.
        ("Who is Ada?", 4),
        ("please ask Jane Doe about it", 3),
    ],
)
def test_model_labels_only_tokens_a_kept_span_could_rest_on(text: str, labelled: int) -> None:
    model = _Counting()
    tagger.detect_names_and_addresses(text, model)
    assert model.labelled == labelled


EXACTNESS_TEXTS = [
    *TEXTS,
    "please ask john smith about it",
    "mail it to baker street 5",
    # Labelled O itself, an anchor with an apostrophe is bridged into the run around it.
    "yüzyılın başlarında Fransa'dan kaçtı [kaynak belirtilmeli].",
    "Mr. O'Neil and jean-paul sartre met at 221B Baker Street, London NW1 6XE.",
    "send it to anna maria rossi, via roma 12, 00184 roma",
]


@pytest.mark.parametrize("text", EXACTNESS_TEXTS)
def test_anchored_labelling_finds_what_labelling_every_token_finds(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = tagger.detect_names_and_addresses(text)
    _label_every_token(monkeypatch)
    assert tagger.detect_names_and_addresses(text) == found


def test_anchored_labelling_is_exact_on_xquad(shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """12 languages of encyclopedic text, dense with names: every question and paragraph."""
    texts = []
    for path in sorted((shared_data_dir / "xquad").glob("xquad.*.dev.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                texts += [paragraph["context"], *(qa["question"] for qa in paragraph["qas"])]
    model = tagger.get_tagger()
    anchored = [tagger.detect_names_and_addresses(text, model) for text in texts]
    _label_every_token(monkeypatch)
    full = [tagger.detect_names_and_addresses(text, model) for text in texts]
    assert sum(map(len, full)) > 10_000
    assert [i for i, (a, b) in enumerate(zip(anchored, full, strict=True)) if a != b] == []
