"""Helpers every JSON view uses to parse its input: content type, JSON syntax, schema."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from flask import request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from app.engine.unicode_text import holds_lone_surrogate
from app.errors import APIError, UnsupportedMediaType, ValidationFailed, validation_messages

SchemaT = TypeVar("SchemaT", bound=Schema)


@cache
def shared(schema_class: type[SchemaT]) -> SchemaT:
    """One instance per schema class for hot views: a schema keeps no state between loads and
    dumps, and building one (fields deep-copied, nested schemas made) costs more than using it."""
    return schema_class()


def parse_json(schema: Schema) -> Any:
    """The request body loaded through ``schema``; 415, 400 or 422 as JSON errors otherwise."""
    if not request.is_json:
        raise UnsupportedMediaType()
    limit = request.max_content_length
    # A chunked body has no Content-Length to refuse up front: the server stops reading at the limit,
    # which would leave cut-off JSON, and a 400 where the answer is 413.
    if request.content_length is None and limit is not None and len(request.get_data(cache=True)) >= limit:
        raise RequestEntityTooLarge()
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # silent=True covers syntax errors only
        raise APIError("The request body is not valid JSON: it is nested too deeply.") from None
    if data is None:
        raise APIError("The request body is not valid JSON.")
    if holds_lone_surrogate(data):
        raise APIError("The request body is not valid JSON: a string escapes half of a surrogate pair "
                       "(\\ud800-\\udfff) on its own, which is not Unicode text.")
    return load(schema, data)


def load(schema: Schema, data: Any, what: str = "request body") -> Any:
    """``data`` (``what``: the request body, form fields or query arguments) loaded through
    ``schema``; 422 naming the fields otherwise."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(f"The {what} is invalid.", errors=validation_messages(exc)) from None


def load_query(schema: Schema) -> Any:
    """The query string's arguments loaded through ``schema``; 422 naming the arguments otherwise."""
    return load(schema, request.args.to_dict(), "query string")
