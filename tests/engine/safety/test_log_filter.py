"""The redacting logging filter: PII logged through a service logger comes out redacted."""

from __future__ import annotations

import io
import logging

from app.engine.safety.log_filter import PiiRedactingFilter
from app.engine.safety.redactor import RedactionContext, RedactionResult, Redactor


def test_logged_pii_is_redacted() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(user_email)s"))
    handler.addFilter(PiiRedactingFilter())
    logger = logging.getLogger("app.test.safety")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("card %s from %s", "4111 1111 1111 1111", "10.1.2.3", extra={"user_email": "x@y.com"})
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "4111" not in out and "10.1.2.3" not in out and "x@y.com" not in out
    assert "[CREDIT_CARD_1]" in out and "[EMAIL_1]" in out


def test_the_services_event_names_pass_unscanned_and_everything_else_is_scanned() -> None:
    scanned: list[str] = []

    class Recording(Redactor):
        def redact(self, text: str, context: RedactionContext) -> RedactionResult:
            scanned.append(text)
            return super().redact(text, context)

    log_filter = PiiRedactingFilter(redactor=Recording(), keep_messages=frozenset({"chat_turn"}))
    event = logging.LogRecord("chatbot.turns", logging.INFO, __file__, 1, "chat_turn", None, None)
    event.user_text = "Jane Doe asked"
    other = logging.LogRecord("app", logging.INFO, __file__, 1, "mail %s", ("jane@example.org",), None)
    assert log_filter.filter(event) and log_filter.filter(other)
    assert event.msg == "chat_turn"
    assert event.user_text == "[PERSON_1] asked"
    assert other.msg == "mail [EMAIL_1]"
    assert "chat_turn" not in scanned
