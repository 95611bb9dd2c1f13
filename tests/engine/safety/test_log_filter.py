"""The redacting logging filter: PII logged through a service logger comes out redacted."""

from __future__ import annotations

import io
import logging

from app.engine.safety.log_filter import PiiRedactingFilter


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
