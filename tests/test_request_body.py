"""A request body the server cannot read is answered 400 in the JSON error shape, never 500."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest

from app.request_body import GuardRequestBody


class InvalidChunkSize(Exception):
    """Like gunicorn's: no OSError."""


class BrokenBody(io.RawIOBase):
    """What gunicorn's body stream does on a malformed chunk: raise partway through."""

    def __init__(self, first: bytes, error: Exception | None = None) -> None:
        self._first: bytes | None = first
        self._error = error or InvalidChunkSize(b"zz")

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        raise self._error

    def readline(self, size: int | None = -1) -> bytes:
        return self.read(size)


@pytest.mark.parametrize(("chunked", "error"), [(True, InvalidChunkSize(b"zz")), (True, ConnectionResetError()),
                                               (False, ConnectionResetError())])
def test_an_unreadable_body_is_a_400_with_a_request_id(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, chunked: bool, error: Exception
) -> None:
    environ: dict[str, Any] = {"wsgi.input": BrokenBody(b'{"message": "hel', error)}
    headers = {"Content-Type": "application/json"}
    if chunked:  # no Content-Length: the app reads until the server says the body ended
        environ["wsgi.input_terminated"] = True
        headers["Transfer-Encoding"] = "chunked"
    else:
        environ["CONTENT_LENGTH"] = "40"
    logging.getLogger("app").addHandler(caplog.handler)
    try:
        response = client.post("/chat", headers=headers, environ_overrides=environ)
    finally:
        logging.getLogger("app").removeHandler(caplog.handler)
    body = response.get_json()
    assert response.status_code == 400 and body["code"] == "bad_request" and body["request_id"]
    assert body["message"] == "The request could not be understood."  # not a JSON syntax error
    assert not [r for r in caplog.records if r.getMessage() == "unhandled error"]
    logged = [r.error_type for r in caplog.records if r.getMessage() == "request_body_unreadable"]
    assert set(logged) == {type(error).__name__}


def test_the_guard_turns_read_errors_into_bad_request_and_passes_data_through() -> None:
    seen: list[bytes] = []

    def reader(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        seen.append(stream.readline())
        seen.append(stream.read())
        return []

    GuardRequestBody(reader)({"wsgi.input": io.BytesIO(b"line\nrest")}, lambda *a: None)
    assert seen == [b"line\n", b"rest"]
    with pytest.raises(BadRequest):
        GuardRequestBody(reader)({"wsgi.input": BrokenBody(b"part")}, lambda *a: None)


def test_the_app_guards_its_body_reads(app: Flask) -> None:
    assert isinstance(app.wsgi_app, GuardRequestBody)
