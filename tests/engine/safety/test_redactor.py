"""Tests for the redactor, its context and the property-based guarantees."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.safety.redactor import RedactionContext, Redactor, redact

PII_VALUES = [
    "jane.doe@example.com", "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "123-45-6789",
    "10.20.30.40", "+1 415 555 0132", "AKIAIOSFODNN7EXAMPLE",
]
RULES_ONLY = Redactor(person=False, street_address=False)


def test_same_value_same_placeholder() -> None:
    ctx = RedactionContext(key=b"k")
    first = redact("write to a@b.org", ctx)
    second = redact("again: a@b.org and c@d.org", ctx)
    assert first.text == "write to [EMAIL_1]"
    assert second.text == "again: [EMAIL_1] and [EMAIL_2]"


def test_findings_never_show_value() -> None:
    result = redact("mail a@b.org", RedactionContext())
    assert "a@b.org" not in repr(result.findings)
    assert result.findings[0].entity_type == "EMAIL"
    text, findings = result
    assert text == result.text and findings == result.findings


def test_context_round_trip_without_raw_values() -> None:
    ctx = RedactionContext(key=b"k")
    redact("card 4111 1111 1111 1111", ctx)
    stored = json.dumps(ctx.to_dict())
    assert "4111" not in stored
    again = RedactionContext.from_dict(json.loads(stored), key=b"k")
    assert redact("card 4111-1111-1111-1111", again).text == "card [CREDIT_CARD_1]"


def test_pseudonyms_stable_across_conversations() -> None:
    a = redact("a@b.org", RedactionContext(pseudonym_key=b"secret")).text
    b = redact("x a@b.org", RedactionContext(pseudonym_key=b"secret")).text
    other = redact("a@b.org", RedactionContext(pseudonym_key=b"other")).text
    assert a.startswith("[EMAIL_") and b.endswith(a) and a != other


def test_names_and_addresses_multilingual() -> None:
    for text, name in [("Mein Name ist Jürgen Hofmann.", "Hofmann"), ("Je m'appelle Camille Dubois.", "Dubois"),
                       ("Me llamo Lucía Fernández.", "Fernández"), ("Hi, my name is Peter Parker.", "Parker")]:
        assert name not in redact(text).text
    assert "Hauptstraße 12" not in redact("Ich wohne in der Hauptstraße 12 in Berlin.").text


def test_existing_placeholders_untouched() -> None:
    assert redact("see [EMAIL_1] please").text == "see [EMAIL_1] please"


safe_text = st.text(alphabet=st.sampled_from("abcdefghij klmnop,.!?"), max_size=60)


@settings(max_examples=60, deadline=None)
@given(prefix=safe_text, suffix=safe_text, value=st.sampled_from(PII_VALUES))
def test_injected_pii_never_survives(prefix: str, suffix: str, value: str) -> None:
    out = RULES_ONLY.redact(f"{prefix} {value} {suffix}", RedactionContext()).text
    assert value not in out


plain_words = st.lists(
    st.sampled_from(["the", "order", "arrived", "late", "and", "was", "broken", "please", "help", "thanks",
                     "bitte", "schnell", "la", "commande", "pedido", "roto", "today", "42", "ok", "?", "!"]),
    max_size=15,
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(text=plain_words)
def test_text_without_pii_unchanged(text: str) -> None:
    assert redact(text, RedactionContext()).text == text


def test_detections_found_once_apply_to_any_conversation() -> None:
    text = "Write to Jane Doe at jane.doe@example.org or call +44 20 7946 0958."
    redactor = Redactor()
    detections = tuple(redactor.detect(text))
    fresh, used = RedactionContext(), RedactionContext()
    used.placeholder_for("EMAIL", "someone.else@example.org")
    assert Redactor.apply(text, detections, fresh) == redactor.redact(text, RedactionContext())
    again = Redactor.apply(text, detections, used)
    assert "[EMAIL_2]" in again.text and "jane.doe@example.org" not in again.text
    assert [f.placeholder for f in again.findings if f.entity_type == "EMAIL"] == ["[EMAIL_2]"]
