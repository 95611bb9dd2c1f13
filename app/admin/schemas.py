"""marshmallow schemas of the admin API's input and output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, validate

from app.chat.schemas import SESSION_ID, TurnSchema
from app.storage.models import MAX_ROW_ID

TAG = fields.String(validate=validate.Length(min=1, max=64))


class JsonBoolean(fields.Boolean):
    """JSON true or false only: marshmallow's Boolean also takes "yes", "false", 1 and "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class JsonUploadSchema(Schema):
    """A document sent as JSON: ``name`` picks the type (``.md``, ``.txt``, ``.html``, ``.json``)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content = fields.String(required=True, validate=validate.Length(min=1))
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=20))


class FormUploadSchema(Schema):
    """The non-file fields of a multipart upload."""

    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=20))


class UploadResultSchema(Schema):
    name = fields.String(required=True)
    document_ids = fields.List(fields.Integer(), required=True)
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    chunks = fields.Integer(required=True)
    index_version = fields.Integer(allow_none=True, required=True)
    request_id = fields.String(required=True)


class DocumentSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    language = fields.String(required=True)
    visibility = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class DocumentListQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_ROW_ID))


class DocumentListSchema(Schema):
    documents = fields.List(fields.Nested(DocumentSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)
    request_id = fields.String(required=True)


class DeletedSchema(Schema):
    deleted = fields.String(required=True)
    request_id = fields.String(required=True)


class ReindexRequestSchema(Schema):
    full = JsonBoolean(load_default=False)


class ReindexResultSchema(Schema):
    version = fields.Integer(required=True)
    reembedded_documents = fields.Integer(required=True)
    chunks = fields.Integer(required=True)
    rescanned_chunks = fields.Integer(required=True)
    seconds = fields.Float(required=True)
    request_id = fields.String(required=True)


class StaleSchema(Schema):
    document_id = fields.Integer(required=True)
    reason = fields.String(required=True)


class StatusSchema(Schema):
    documents = fields.Integer(required=True)
    index_version = fields.Integer(required=True)
    loaded_version = fields.Integer(allow_none=True, required=True)
    embedding_model = fields.String(required=True)
    dimension = fields.Integer(required=True)
    stale = fields.List(fields.Nested(StaleSchema), required=True)
    error = fields.String(allow_none=True, required=True)
    request_id = fields.String(required=True)


class ExportQuerySchema(Schema):
    session_id = fields.String(required=True, validate=SESSION_ID)


class FeedbackSchema(Schema):
    rating = fields.String(required=True)
    comment = fields.String(required=True)


class ExportTurnSchema(TurnSchema):
    feedback = fields.Nested(FeedbackSchema, allow_none=True, required=True)


class ExportSchema(Schema):
    session_id = fields.String(required=True)
    language = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    turns = fields.List(fields.Nested(ExportTurnSchema), required=True)
    request_id = fields.String(required=True)
