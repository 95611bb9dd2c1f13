"""Output schemas of the health endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields


class HealthSchema(Schema):
    status = fields.String(required=True)
    version = fields.String(required=True)
    uptime_s = fields.Float(required=True)


class CheckSchema(Schema):
    name = fields.String(required=True)
    ok = fields.Boolean(required=True)
    required = fields.Boolean(required=True)
    detail = fields.String(required=True)
    duration_ms = fields.Float(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True)
    checks = fields.List(fields.Nested(CheckSchema), required=True)


class InfoSchema(Schema):
    name = fields.String(required=True)
    version = fields.String(required=True)
