"""JSON logging: formatter, request-id and scrubbing filters, and ``configure_logging``.

Service logs go to the ``app`` logger (file ``app.log``), chat turn events to ``chatbot``
(file ``chatbot.log``); both always go to stdout as JSON. Filters attach the request id and
make sure no request body, query string, Authorization header, cookie or configured secret
reaches a handler. Extra filters (PII redaction from the safety layer) can be added by the caller.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from app.request_context import current_request_id

SERVICE_LOGGER = "app"
CHAT_LOGGER = "chatbot"
LOG_FILES = {SERVICE_LOGGER: "app.log", CHAT_LOGGER: "chatbot.log"}
REDACTED = "[REDACTED]"
_FORBIDDEN_FIELDS = frozenset({"body", "data", "json", "authorization", "cookie", "cookies", "headers", "form"})
_URL_FIELDS = ("path", "url", "full_path")
_MARK = "_chatbot_handler"
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def json_formatter() -> JsonFormatter:
    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request it was logged in (if any)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class WithholdRequestText(logging.Filter):
    """For the server's own log lines (gunicorn's): the text of a request it refused or failed on,
    which may carry a credential or personal data (a token in a query string), is withheld; the
    kind of error and the client address stay. Everything else passes unchanged."""

    _REFUSED = re.compile(r"(Invalid request from ip=\S+: [^'\"]*)['\"]", re.S)
    _FAILED = re.compile(r"(Error handling request (?:[A-Z]+ )?)(\S+)")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if refused := self._REFUSED.match(message):
            message = refused.group(1) + "[request text withheld]"
        elif failed := self._FAILED.match(message):
            message = failed.group(1) + failed.group(2).split("?", 1)[0] + message[failed.end():]
        else:
            return True
        record.msg, record.args = message, None
        return True


class ScrubFilter(logging.Filter):
    """Removes secrets, bodies, auth headers, cookies and query strings from records."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _BEARER.sub(r"\1 " + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        if isinstance(record.msg, str):
            record.msg = self._scrub(record.msg)
        for key in list(vars(record)):
            if key in _STANDARD_ATTRS:
                continue
            value: Any = getattr(record, key)
            if key.lower() in _FORBIDDEN_FIELDS:
                setattr(record, key, REDACTED)
            elif isinstance(value, str):
                if key in _URL_FIELDS:
                    value = value.split("?", 1)[0]
                setattr(record, key, self._scrub(value))
        return True


def configure_logging(
    level: str,
    log_dir: Path | None,
    secrets: Iterable[str],
    extra_filters: Iterable[logging.Filter] = (),
) -> None:
    """(Re)install this service's handlers on the ``app`` and ``chatbot`` loggers."""
    filters: list[logging.Filter] = [RequestIdFilter(), ScrubFilter(secrets), *extra_filters]
    for name, file_name in LOG_FILES.items():
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(level.upper())
        logger.propagate = False
        handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            handlers.append(logging.FileHandler(log_dir / file_name, encoding="utf-8"))
        for handler in handlers:
            setattr(handler, _MARK, True)
            handler.setFormatter(json_formatter())
            for log_filter in filters:
                handler.addFilter(log_filter)
            logger.addHandler(handler)
