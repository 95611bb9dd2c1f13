"""JSON log output and the scrubbing filter."""

from __future__ import annotations

import io
import json
import logging

import pytest

from app.logging import REDACTED, RequestIdFilter, ScrubFilter, WithholdRequestText, json_formatter


def _capture(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ScrubFilter(secrets))
    logger = logging.getLogger("test.scrub")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_records_are_json_with_standard_fields() -> None:
    logger, stream = _capture([])
    logger.info("hello %s", "world", extra={"route": "/chat"})
    record = json.loads(stream.getvalue())
    assert record["message"] == "hello world"
    assert record["level"] == "INFO"
    assert record["logger"] == "test.scrub"
    assert record["route"] == "/chat"
    assert "time" in record


def test_secrets_bodies_headers_and_query_strings_are_scrubbed() -> None:
    logger, stream = _capture(["topsecretvalue123"])
    logger.info(
        "connecting with %s and Bearer abcdefghijklmnop",
        "topsecretvalue123",
        extra={
            "body": '{"password": "x"}',
            "authorization": "Bearer abc",
            "cookie": "session=1",
            "path": "/chat?api_key=zzz",
            "note": "key=topsecretvalue123",
        },
    )
    output = stream.getvalue()
    record = json.loads(output)
    assert "topsecretvalue123" not in output
    assert "abcdefghijklmnop" not in output
    assert record["body"] == REDACTED
    assert record["authorization"] == REDACTED
    assert record["cookie"] == REDACTED
    assert record["path"] == "/chat"


def test_service_loggers_redact_pii(app_factory, capsys) -> None:  # type: ignore[no-untyped-def]
    app_factory({"logging": {"level": "INFO"}})
    logging.getLogger("app.test").info(
        "customer wrote from jane.roe@example.org, card 4111 1111 1111 1111", extra={"note": "call +1 415 555 0100"}
    )
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert "jane.roe@example.org" not in line and "4111 1111 1111 1111" not in line and "555 0100" not in line
    assert "[EMAIL_1]" in record["message"] and "[CREDIT_CARD_1]" in record["message"]
    assert "[PHONE_1]" in record["note"]


@pytest.mark.parametrize(
    ("message", "args", "logged"),
    [("Invalid request from ip=10.0.0.7: Invalid HTTP request line: 'GET /chat?token=s3cret HTTP/9'", (),
      "Invalid request from ip=10.0.0.7: Invalid HTTP request line: [request text withheld]"),
     ('Invalid request from ip=10.0.0.7: Invalid HTTP Header: "X-Mail: jane@example.com"', (),
      "Invalid request from ip=10.0.0.7: Invalid HTTP Header: [request text withheld]"),
     ("Error handling request %s %s", ("GET", "/chat/sessions/abc?email=jane@example.com"),
      "Error handling request GET /chat/sessions/abc"),
     ("Invalid request from ip=10.0.0.7: Request Line is too large (5014 > 4094)", (),
      "Invalid request from ip=10.0.0.7: Request Line is too large (5014 > 4094)"),
     ("Booting worker with pid: %s", (42,), "Booting worker with pid: 42")],
)
def test_the_servers_lines_withhold_the_text_of_refused_requests(
    message: str, args: tuple[object, ...], logged: str
) -> None:
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, message, args, None)
    assert WithholdRequestText().filter(record)
    assert record.getMessage() == logged
