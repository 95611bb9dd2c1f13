"""Tests for the validated rule-based detectors."""

from __future__ import annotations

import pytest

from app.engine.safety.patterns import PATTERN_ENTITY_TYPES, detect_patterns


def kinds(text: str) -> set[tuple[str, str]]:
    return {(d.entity_type, text[d.start:d.end]) for d in detect_patterns(text)}


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("mail john [at] example [dot] com now", "EMAIL", "john [at] example [dot] com"),
        ("schreib an anna.muster@beispiel.de bitte", "EMAIL", "anna.muster@beispiel.de"),
        ("card 4111-1111-1111-1111 ok", "CREDIT_CARD", "4111-1111-1111-1111"),
        ("IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN", "DE89 3704 0044 0532 0130 00"),
        ("ip 192.168.10.1 here", "IP_ADDRESS", "192.168.10.1"),
        ("v6 2001:db8::8a2e:370:7334 here", "IP_ADDRESS", "2001:db8::8a2e:370:7334"),
        ("ssn 123-45-6789", "US_SSN", "123-45-6789"),
        ("ruf an: +49 30 12345678", "PHONE", "+49 30 12345678"),
        ("DNI 12345678Z", "NATIONAL_ID", "12345678Z"),
        ("key AKIAIOSFODNN7EXAMPLE", "SECRET", "AKIAIOSFODNN7EXAMPLE"),
        ("db postgres://app:s3cret@db/x", "SECRET", "app:s3cret"),
    ],
)
def test_detects(text: str, kind: str, value: str) -> None:
    assert (kind, value) in kinds(text)
    # The stored-reply redactor trusts this list to know what the output guard masked already.
    assert kind in PATTERN_ENTITY_TYPES


def test_every_pattern_type_is_named_once() -> None:
    text = " ".join([
        "mail anna.muster@beispiel.de card 4111-1111-1111-1111 IBAN DE89 3704 0044 0532 0130 00",
        "ip 192.168.10.1 ssn 123-45-6789 ruf an: +49 30 12345678 DNI 12345678Z key AKIAIOSFODNN7EXAMPLE",
    ])
    assert {kind for kind, _ in kinds(text)} == PATTERN_ENTITY_TYPES


def test_invalid_checksums_ignored() -> None:
    found = {k for k, _ in kinds("card 4111 1111 1111 1112 and iban DE00 3704 0044 0532 0130 00")}
    assert "CREDIT_CARD" not in found
    assert "IBAN" not in found


def test_times_and_versions_are_not_ips() -> None:
    assert not {k for k, _ in kinds("at 12:30:45 run version 1.2.3") if k == "IP_ADDRESS"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("reach me by email at jane.doe@acme-robotics.example today", "jane.doe@acme-robotics.example"),
        ("email at jane.doe@acme-robotics.example", "jane.doe@acme-robotics.example"),
        ("write to a.b@mail.server.co.uk.", "a.b@mail.server.co.uk"),
        ("cc ops-team+alerts@eu.west.acme-robotics.example now", "ops-team+alerts@eu.west.acme-robotics.example"),
        ("mail john [at] example [dot] com now", "john [at] example [dot] com"),
        ("write to john at example dot com please", "john at example dot com"),
        ("schreib an anna (at) beispiel (punkt) de", "anna (at) beispiel (punkt) de"),
    ],
)
def test_email_masked_whole(text: str, value: str) -> None:
    emails = [text[d.start:d.end] for d in detect_patterns(text) if d.entity_type == "EMAIL"]
    assert emails == [value]


def test_real_and_obfuscated_email_in_one_text() -> None:
    text = "email at jane.doe@acme-robotics.example, or mail bob at example dot org"
    emails = {text[d.start:d.end] for d in detect_patterns(text) if d.entity_type == "EMAIL"}
    assert emails == {"jane.doe@acme-robotics.example", "bob at example dot org"}


def test_redacted_email_leaves_no_domain() -> None:
    from app.engine.safety import redact

    out = redact("Contact me by email at jane.doe@acme-robotics.example or j.smith@shop.co.uk").text
    assert "@" not in out and "acme-robotics" not in out and "co.uk" not in out


def test_loopback_and_unspecified_addresses_identify_no_one() -> None:
    found = {v for k, v in kinds("serve on 127.0.0.1:8000, 0.0.0.0 or [::1]; client 203.0.113.7") if k == "IP_ADDRESS"}
    assert found == {"203.0.113.7"}


@pytest.mark.parametrize(
    "secret",
    [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
        "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE",
        "ghp_" + "a" * 36, "github_pat_" + "B" * 45, "xoxb-1234567890-abcdef",
        "sk-proj-" + "c" * 24, "sk_live_" + "d" * 20, "rk_test_" + "e" * 20,
        "AIza" + "f" * 35, "glpat-" + "g" * 20, "eyJhbGciOiJI.eyJzdWIiOiIx.SflKxwRJSMeKKF2QT4",
        "postgres://app:s3cret@db/x", "Authorization: BEARER abcdefghijklmnopqrstu",
        "PassWord: hunter22", "pwd=abcd1234", "API-KEY = 'zzzz9999'", "Secret: x9x9x9x9",
        "token=abcdefgh", "Passwort: geheim123", "contraseña: clave123", "Mot de passe : azerty12",
    ],
)
def test_the_secret_pre_check_lets_every_pattern_through(secret: str) -> None:
    from app.engine.safety.patterns import SECRET_RE, may_hold_secret

    text = f"note {secret} end"
    assert SECRET_RE.search(text), "the sample must be a secret the patterns find"
    assert may_hold_secret(text)
    assert ("SECRET" in {d.entity_type for d in detect_patterns(text)})


def test_plain_prose_skips_the_secret_patterns() -> None:
    from app.engine.safety.patterns import may_hold_secret

    assert not may_hold_secret("Beyoncé was born in Houston, Texas, and rose to fame in the late 1990s.")


def test_counts_grouped_by_spaces_are_not_phones_but_the_same_shape_alone_is() -> None:
    """XQuAD's "con 17 786 419 habitantes" was redacted in replies as a phone number."""
    population = "el Gran Los Ángeles, con 17 786 419 habitantes"
    assert not [d for d in detect_patterns(population) if d.entity_type == "PHONE"]
    assert ("PHONE", "78 651 450") in kinds("They're not answering at 78 651 450")


@pytest.mark.parametrize(
    "text",
    ["A compatible licence is one listed at creativecommons.org/compatiblelicenses.",
     "Creative Commons may be contacted at creativecommons.org.", "Find us at acme-robotics.example"],
)
def test_a_site_after_at_is_not_an_obfuscated_email(text: str) -> None:
    assert not [d for d in detect_patterns(text) if d.entity_type == "EMAIL"]
