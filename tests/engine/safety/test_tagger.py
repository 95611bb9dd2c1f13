"""The name and address tagger: its fast feature path and the pre-check that skips it."""

from __future__ import annotations

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


class _Counting(tagger.PiiTagger):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def label_tokens(self, tokens: list[tagger.Token]) -> list[int]:
        self.calls += 1
        return super().label_tokens(tokens)


@pytest.mark.parametrize(
    ("text", "runs_model"),
    [
        ("北京是中国的首都。", False),
        ("كم عدد سكان القاهرة؟", False),
        ("what is the refund policy", False),
        ("please ask john about it", True),  # a lower-case name from the lexicon
        ("ship it to 12 main street", True),  # a street word
        ("Who won Super Bowl 50?", True),
    ],
)
def test_model_runs_only_where_a_span_could_be_kept(text: str, runs_model: bool) -> None:
    model = _Counting()
    tagger.detect_names_and_addresses(text, model)
    assert (model.calls == 1) is runs_model


@pytest.mark.parametrize("text", [*TEXTS, "please ask john smith about it", "mail it to baker street 5"])
def test_skipping_the_model_never_changes_the_detections(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found = tagger.detect_names_and_addresses(text)
    monkeypatch.setattr(tagger, "_may_hold_a_name", lambda _text, _model: True)
    assert tagger.detect_names_and_addresses(text) == found
