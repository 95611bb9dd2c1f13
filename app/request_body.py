"""WSGI middleware: a request body that cannot be read is the client's error (400), not the service's.

The server's body stream raises when the body's framing is broken (gunicorn: ``InvalidChunkSize``,
``ChunkMissingTerminator``, which are no ``OSError``) or the client goes away mid-body (``OSError``).
Raised inside a view, that was an unhandled exception: a 500 with a logged traceback. Here any
exception from a read of ``wsgi.input`` becomes ``BadRequest``, which the error handlers answer as
any 400 (JSON with the request id, for JSON bodies and uploads alike), and is logged with its type,
so a fault of the server itself stays visible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from werkzeug.exceptions import BadRequest

log = logging.getLogger(__name__)
# The event logged for an unreadable body: a constant, so the PII log filter need not scan it.
UNREADABLE_BODY_EVENT = "request_body_unreadable"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _GuardedInput:
    """The server's body stream, with read failures raised as ``BadRequest``."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def _call(self, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Exception as exc:  # whatever the server raises: the body cannot be read
            log.warning(UNREADABLE_BODY_EVENT, extra={"error_type": type(exc).__name__})
            raise BadRequest("The request body could not be read.") from exc

    def read(self, size: int | None = -1) -> bytes:
        result: bytes = self._call(lambda: self._stream.read(size) if size is not None else self._stream.read())
        return result

    def readline(self, size: int | None = -1) -> bytes:
        result: bytes = self._call(lambda: self._stream.readline(size if size is not None else -1))
        return result

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        result: list[bytes] = self._call(lambda: self._stream.readlines(hint if hint is not None else -1))
        return result

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class GuardRequestBody:
    """Wraps a WSGI app so that a failed read of its ``wsgi.input`` raises ``BadRequest``."""

    def __init__(self, app: WSGIApp) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = _GuardedInput(stream)
        return self._app(environ, start_response)
