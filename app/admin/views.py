"""Admin endpoints (role admin): parse with a schema, call the admin services, dump with a schema.

Everything is scoped by the admin token's tenant; the services write the audit records.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, jsonify, request

from app.admin.schemas import (
    DeletedSchema,
    DocumentListQuerySchema,
    DocumentListSchema,
    ExportQuerySchema,
    ExportSchema,
    FormUploadSchema,
    JsonUploadSchema,
    ReindexRequestSchema,
    ReindexResultSchema,
    StatusSchema,
    UploadResultSchema,
)
from app.api import load, load_query, parse_json
from app.auth import current_principal, requires
from app.chat.schemas import is_session_id
from app.engine.access import Actor
from app.errors import APIError, NotFound, ValidationFailed
from app.request_context import current_config, current_request_id, current_services

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Multipart boundaries and JSON escaping add bytes around the document itself.
_ENVELOPE_BYTES = 64 * 1024


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.actor, principal.tenant, current_request_id() or "")


def _with_request_id(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "request_id": current_request_id()}


def _uploaded() -> tuple[str, bytes, list[str]]:
    """(file name, bytes, tags) from a multipart ``file`` part or a JSON body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(errors={"file": ["Missing file part."]})
        form = load(FormUploadSchema(), {"tags": request.form.getlist("tags")}, "form")
        return upload.filename or "", upload.read(), form["tags"]
    if not request.is_json:
        raise APIError("Send multipart/form-data with a 'file' part, or JSON.", status=415)
    body = parse_json(JsonUploadSchema())
    return body["name"], body["content"].encode("utf-8"), body["tags"]


@bp.post("/kb/documents")
@requires("admin")
def upload_document() -> tuple[Response, int]:
    request.max_content_length = current_config().auth.upload_max_bytes + _ENVELOPE_BYTES
    name, data, tags = _uploaded()
    result = current_services().kb_admin.upload(_actor(), name, data, tags)
    return jsonify(UploadResultSchema().dump(_with_request_id(asdict(result)))), 201


@bp.get("/kb/documents")
@requires("admin")
def list_documents() -> Response:
    query = load_query(DocumentListQuerySchema())
    page = current_services().kb_admin.documents(_actor(), query["limit"], query["before"])
    return jsonify(DocumentListSchema().dump(_with_request_id(asdict(page))))


@bp.delete("/kb/documents/<int:document_id>")
@requires("admin")
def delete_document(document_id: int) -> Response:
    if not current_services().kb_admin.delete(_actor(), document_id):
        raise NotFound("The document was not found.")
    return jsonify(DeletedSchema().dump(_with_request_id({"deleted": str(document_id)})))


@bp.post("/kb/reindex")
@requires("admin")
def reindex() -> Response:
    body = parse_json(ReindexRequestSchema()) if request.content_length else {"full": False}
    report = current_services().kb_admin.reindex(_actor(), full=body["full"])
    return jsonify(ReindexResultSchema().dump(_with_request_id(asdict(report))))


@bp.get("/kb/status")
@requires("admin")
def kb_status() -> Response:
    status = current_services().kb_admin.status(_actor())
    return jsonify(StatusSchema().dump(_with_request_id(asdict(status))))


@bp.get("/conversations")
@requires("admin")
def export_conversation() -> Response:
    query = load_query(ExportQuerySchema())
    exported = current_services().conversation_admin.export(_actor(), query["session_id"])
    turns = [
        {**asdict(turn), "feedback": _feedback(exported.feedback.get(turn.turn_id))} for turn in exported.turns
    ]
    body = {"session_id": exported.session_id, "language": exported.language,
            "created_at": exported.created_at, "turns": turns}
    return jsonify(ExportSchema().dump(_with_request_id(body)))


def _feedback(given: tuple[str, str] | None) -> dict[str, str] | None:
    return {"rating": given[0], "comment": given[1]} if given else None


@bp.delete("/conversations/<session_id>")
@requires("admin")
def erase_conversation(session_id: str) -> Response:
    if not is_session_id(session_id):
        raise NotFound("The session was not found.")
    current_services().conversation_admin.erase(_actor(), session_id)
    return jsonify(DeletedSchema().dump(_with_request_id({"deleted": session_id})))
