"""marshmallow schemas of the chat API's input and output."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

from app.engine.language import iso_639_1

SESSION_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="Use 1 to 64 of A-Z, a-z, 0-9, _ and -.")


def is_session_id(value: str) -> bool:
    """Whether a path segment can name a session; anything else is simply not found."""
    try:
        SESSION_ID(value)
    except ValidationError:
        return False
    return True
TURN_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$", error="Not a turn id.")
FILTER_KEYS = ("language", "tags", "source")


class FilterValue(fields.Field[Any]):
    """A string or a list of strings (one filter field's allowed values)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str) and 0 < len(value) <= 200:
            return value
        if (
            isinstance(value, list) and 0 < len(value) <= 20
            and all(isinstance(v, str) and 0 < len(v) <= 200 for v in value)
        ):
            return value
        raise ValidationError("Expected a string or a list of up to 20 strings.")


class FiltersSchema(Schema):
    language = FilterValue()
    tags = FilterValue()
    source = FilterValue()


def _language_code(value: str) -> None:
    if iso_639_1(value) is None:
        raise ValidationError("Use an ISO 639-1 code such as 'en'.")


class ChatRequestSchema(Schema):
    message = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    session_id = fields.String(load_default=None, validate=SESSION_ID)
    language = fields.String(load_default=None, validate=_language_code)
    filters = fields.Nested(FiltersSchema, load_default=None)

    @pre_load
    def _trim(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            data = {**data, "message": data["message"].strip()}
        return data

    @post_load
    def _normalize_language(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if data.get("language"):
            data["language"] = iso_639_1(data["language"])
        return data


class SourceSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    snippet = fields.String(required=True)
    score = fields.Float(required=True)


class FlagsSchema(Schema):
    refused = fields.Boolean(required=True)
    redacted = fields.Boolean(required=True)
    fallback = fields.Boolean(required=True)


class ChatResponseSchema(Schema):
    reply = fields.String(required=True)
    language = fields.String(required=True)
    session_id = fields.String(required=True)
    turn_id = fields.String(required=True)
    sources = fields.List(fields.Nested(SourceSchema), required=True)
    request_id = fields.String(required=True)
    flags = fields.Nested(FlagsSchema, required=True)


class FeedbackRequestSchema(Schema):
    turn_id = fields.String(required=True, validate=TURN_ID)
    rating = fields.String(required=True, validate=validate.OneOf(["up", "down"]))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class FeedbackResponseSchema(Schema):
    turn_id = fields.String(required=True)
    rating = fields.String(required=True)
    request_id = fields.String(required=True)


class TurnSchema(Schema):
    turn_id = fields.String(required=True)
    position = fields.Integer(required=True)
    user_text = fields.String(required=True)
    reply = fields.String(required=True)
    language = fields.String(required=True)
    sources = fields.List(fields.Dict(), required=True)
    flags = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    created_at = fields.DateTime(required=True)


class SessionSchema(Schema):
    session_id = fields.String(required=True)
    turns = fields.List(fields.Nested(TurnSchema), required=True)
    request_id = fields.String(required=True)
