"""A ``logging.Filter`` that redacts PII from log records before any handler formats them.

It redacts the formatted message (``msg % args``), string-valued extra attributes and the text of an
attached exception. Each record gets a fresh :class:`RedactionContext` unless a pseudonym key is set,
in which case placeholders are stable across records (useful to correlate log lines). Never raises:
a failing detector must not break logging, so the message is replaced by a fixed marker instead.
"""

from __future__ import annotations

import logging

from app.engine.safety.redactor import RedactionContext, Redactor

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class PiiRedactingFilter(logging.Filter):
    """Redacts PII in every record that passes through; always lets the record through."""

    def __init__(
        self,
        name: str = "",
        pseudonym_key: bytes | None = None,
        redactor: Redactor | None = None,
        keep_fields: frozenset[str] = frozenset(),
        keep_messages: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(name)
        self._pseudonym_key = pseudonym_key
        self._redactor = redactor or Redactor()
        # Structured operational fields (ids, route, the access line's client address) that the
        # service itself sets; scanning them would only mangle ids that look like numbers.
        self._keep = keep_fields
        # The service's own event names ("request", "chat_turn"): constants, logged on every request.
        self._keep_messages = keep_messages

    def _clean(self, text: str, context: RedactionContext) -> str:
        return self._redactor.redact(text, context).text

    def filter(self, record: logging.LogRecord) -> bool:
        context = RedactionContext(pseudonym_key=self._pseudonym_key)
        try:
            message = record.getMessage()
            record.msg = message if message in self._keep_messages else self._clean(message, context)
            record.args = None
            for key, value in list(vars(record).items()):
                if key not in _STANDARD_ATTRS and key not in self._keep and isinstance(value, str):
                    setattr(record, key, self._clean(value, context))
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text, context)
        except Exception:
            record.msg = "[log message withheld: redaction failed]"
            record.args = None
        return True
