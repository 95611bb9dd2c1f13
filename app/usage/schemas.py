"""marshmallow schemas of GET /usage."""

from __future__ import annotations

from marshmallow import Schema, fields


class WindowSchema(Schema):
    quota = fields.String(required=True)
    limit = fields.String(required=True)
    amount = fields.Integer(required=True)
    window_seconds = fields.Integer(required=True)
    used = fields.Integer(required=True)
    remaining = fields.Integer(required=True)
    reset_at = fields.Integer(required=True)


class UsageSchema(Schema):
    tenant = fields.String(required=True)
    token_id = fields.Integer(allow_none=True, required=True)
    role = fields.String(required=True)
    windows = fields.List(fields.Nested(WindowSchema), required=True)
    request_id = fields.String(required=True)
