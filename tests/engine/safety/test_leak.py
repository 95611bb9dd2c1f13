"""Tests for the leak guard and canaries."""

from __future__ import annotations

import base64

from app.engine.safety.leak import LeakGuard, embed_canary, new_canary

PERSONA = "You are Hilda, the friendly support assistant of Acme Bikes who answers only from the handbook."


def guard() -> tuple[LeakGuard, str]:
    canary = new_canary()
    return LeakGuard(canary, embed_canary(PERSONA, canary), ["sk-live-ABCDEF123456", "postgres://u:pw@db/app"]), canary


def test_canary_has_128_bits_and_is_embedded() -> None:
    canary = new_canary()
    assert len(canary.split("-")[1]) * 4 >= 128
    assert canary in embed_canary(PERSONA, canary)
    assert new_canary() != canary


def test_detects_canary_under_transforms() -> None:
    g, canary = guard()
    assert g.check(f"the marker is {canary}").reason == "canary"
    assert g.check(canary.upper()[::-1]).reason == "canary"
    spaced = " ".join(canary)
    assert g.check(spaced).leaked
    assert g.check(base64.b64encode(canary.encode()).decode()).reason == "canary"
    assert g.check(canary[:10] + "\u200b" + canary[10:]).reason == "canary"


def test_detects_persona_and_secrets() -> None:
    g, _ = guard()
    assert g.check("Sure! " + PERSONA).reason == "persona"
    assert g.check("the key is SK-LIVE-abcdef123456").reason == "secret"
    assert g.check("token ghp_" + "a" * 36).reason == "api_key"


def test_clean_reply_passes() -> None:
    g, _ = guard()
    assert g.check("Our shop opens at 9 am. Hilda is happy to help!").reason == "ok"
