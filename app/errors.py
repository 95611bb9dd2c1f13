"""One JSON error shape for every failure: ``{"code", "status", "message", "errors"?, "request_id"}``.

Domain code raises ``APIError`` subclasses (or plain HTTP exceptions); the handlers registered
here turn them, and anything unexpected, into that shape. Responses never carry stack traces,
exception text, file paths or SQL; unexpected exceptions are logged with their traceback instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, ClassVar

import redis
from flask import Flask, Response, jsonify
from flask_limiter.errors import RateLimitExceeded
from limits.errors import StorageError
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app.engine.admin.errors import EmptyUpload, InvalidUpload, UnsupportedUpload, UploadTooLarge
from app.engine.feedback import TurnNotFound
from app.engine.knowledge.errors import KnowledgeError
from app.engine.memory import SessionNotFound
from app.engine.safety.errors import InputTooLong
from app.observability.metrics_store import MetricsStoreError
from app.request_context import choose_request_id, current_request_id

log = logging.getLogger("app.errors")
# The event logged for a request refused before Flask sees it: a constant, so the PII log filter
# need not scan it.
REFUSED_EVENT = "request_refused"


class APIError(Exception):
    """Base of errors that map to a client-visible JSON response."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."
    headers: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self, message: str | None = None, errors: Any = None, status: int | None = None,
                 extra_headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors
        self.extra_headers = extra_headers
        if status is not None:
            self.status = status


class ValidationFailed(APIError):
    status = 422
    code = "validation_error"
    message = "The request body is invalid."


class UnsupportedMediaType(APIError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the request body as JSON with Content-Type: application/json."


class NotFound(APIError):
    status = 404
    code = "not_found"
    message = "The resource was not found."


class Unauthorized(APIError):
    status = 401
    code = "unauthorized"
    message = "A valid API token is required: send Authorization: Bearer <token>."
    headers = (("WWW-Authenticate", 'Bearer realm="chatbot"'),)


class InvalidToken(Unauthorized):
    message = "The API token is invalid, expired or revoked."
    headers = (("WWW-Authenticate", 'Bearer realm="chatbot", error="invalid_token"'),)


class Forbidden(APIError):
    status = 403
    code = "forbidden"
    message = "This API token is not allowed to do that."


class ServiceUnavailable(APIError):
    status = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable."


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    417: "expectation_failed",
    422: "validation_error",
    429: "rate_limited",
    431: "header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}

_HTTP_MESSAGES = {
    400: "The request could not be understood.",
    404: "The resource was not found.",
    405: "The method is not allowed for this resource.",
    413: "The request body is too large.",
    414: "The request line is too long.",
    415: "Send the request body as JSON with Content-Type: application/json.",
    417: "The expectation given in the Expect header cannot be met.",
    429: "Too many requests; retry after the time given in Retry-After.",
    431: "The request headers are too large.",
    500: "An internal error occurred.",
    501: "The request uses a transfer coding this server does not support.",
}


def _error_body(status: int, code: str, message: str, request_id: str | None, errors: Any = None) -> dict[str, Any]:
    """The one error shape, for Flask's responses and for the ones gunicorn writes."""
    body: dict[str, Any] = {"code": code, "status": status, "message": message}
    if errors is not None:
        body["errors"] = errors
    body["request_id"] = request_id
    return body


def error_response(status: int, code: str, message: str, errors: Any = None) -> Response:
    response = jsonify(_error_body(status, code, message, current_request_id(), errors))
    response.status_code = status
    return response


def refused_request_response(status: int, headers: Mapping[str, str]) -> bytes:
    """A whole HTTP/1.1 response in the error shape, with a new request id, for a request refused
    before Flask sees it (gunicorn refusing a request line or headers it cannot parse or that exceed
    its limits). The message is the status's own: it never quotes the refused input. The refusal is
    logged with its request id, so the id a client reports can be found."""
    request_id = choose_request_id(None)
    log.warning(REFUSED_EVENT, extra={"request_id": request_id, "status": status})
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = json.dumps(_error_body(
        status, _HTTP_CODES.get(status, "http_error"), _HTTP_MESSAGES.get(status, f"{phrase}."), request_id
    )).encode()
    head = [f"HTTP/1.1 {status} {phrase}", "Connection: close", "Content-Type: application/json",
            f"Content-Length: {len(body)}", f"X-Request-ID: {request_id}",
            *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _handle_api_error(exc: APIError) -> Response:
    response = error_response(exc.status, exc.code, exc.message, exc.errors)
    for name, value in (*exc.headers, *exc.extra_headers):
        response.headers[name] = value
    return response


def validation_messages(exc: ValidationError) -> Any:
    return exc.normalized_messages()  # type: ignore[no-untyped-call]


def _handle_validation(exc: ValidationError) -> Response:
    return error_response(422, "validation_error", "The request body is invalid.", validation_messages(exc))


def _handle_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_CODES.get(status, "http_error")
    message = _HTTP_MESSAGES.get(status, exc.name)
    response = error_response(status, code, message)
    if isinstance(exc, RateLimitExceeded):
        response.headers["Retry-After"] = str(_retry_after(exc))
    for header, value in (exc.get_headers() if status == 405 else []):
        if header.lower() == "allow":
            response.headers[header] = value
    return response


def _retry_after(exc: RateLimitExceeded) -> int:
    # Flask-Limiter overwrites this with its exact value when header injection is on.
    return max(1, int(exc.limit.limit.get_expiry()))


def _handle_storage_down(exc: Exception) -> Response:
    log.error("rate-limit storage unreachable; failing closed", extra={"error_type": exc.__class__.__name__})
    return error_response(503, "service_unavailable", "The service is temporarily unavailable.")


def _handle_database_down(exc: OperationalError) -> Response:
    # The database refused or dropped the connection, was busy past its timeout, or is not migrated
    # yet (/ready says which): the request can be retried, it is no bug to trace.
    log.error("database unavailable", extra={"error_type": type(exc.orig).__name__ if exc.orig else "unknown"})
    return error_response(503, "service_unavailable", "The service is temporarily unavailable.")


def _handle_metrics_down(exc: MetricsStoreError) -> Response:
    log.error("metrics store unavailable", extra={"error_type": exc.__class__.__name__})
    return error_response(503, "service_unavailable", "Metrics are temporarily unavailable.")


def _handle_unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return _handle_http(exc)
    log.exception("unhandled error")
    return error_response(500, "internal_error", "An internal error occurred.")


def _handle_domain(exc: Exception) -> Response:
    """Domain exceptions from the engine, mapped to client-facing errors without their text."""
    for exc_type, (status, code, message) in _DOMAIN_ERRORS.items():
        if isinstance(exc, exc_type):
            return error_response(status, code, message)
    return _handle_unexpected(exc)


_DOMAIN_ERRORS: dict[type[Exception], tuple[int, str, str]] = {
    SessionNotFound: (404, "not_found", "The session was not found."),
    TurnNotFound: (404, "not_found", "The turn was not found."),
    InputTooLong: (422, "validation_error", "The message is too long."),
    UploadTooLarge: (413, "payload_too_large", "The uploaded file is larger than the configured limit."),
    UnsupportedUpload: (415, "unsupported_media_type", "This file type cannot be uploaded."),
    EmptyUpload: (422, "validation_error", "The uploaded file is empty."),  # before InvalidUpload, its base
    InvalidUpload: (422, "validation_error", "The uploaded file could not be parsed; check its encoding and format."),
    KnowledgeError: (503, "service_unavailable", "The knowledge base is not available right now."),
}


def register_error_handlers(app: Flask) -> None:
    for exc_type in _DOMAIN_ERRORS:
        app.register_error_handler(exc_type, _handle_domain)
    app.register_error_handler(APIError, _handle_api_error)
    app.register_error_handler(ValidationError, _handle_validation)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(redis.RedisError, _handle_storage_down)
    app.register_error_handler(StorageError, _handle_storage_down)
    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(MetricsStoreError, _handle_metrics_down)
    app.register_error_handler(Exception, _handle_unexpected)
