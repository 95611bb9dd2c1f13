"""Chat endpoints: parse with a schema, call the pipeline, dump with a schema."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from app.api import parse_json, shared
from app.auth.requires import requires
from app.chat.schemas import (
    ChatRequestSchema,
    ChatResponseSchema,
    FeedbackRequestSchema,
    FeedbackResponseSchema,
    SessionSchema,
    is_session_id,
)
from app.engine.pipeline import ChatRequest
from app.errors import NotFound
from app.request_context import current_caller, current_request_id, current_services

bp = Blueprint("chat", __name__, url_prefix="/chat")


@bp.post("")
@requires("user")
def chat() -> Response:
    body: dict[str, Any] = parse_json(shared(ChatRequestSchema))
    result = current_services().pipeline.handle(
        ChatRequest(
            message=body["message"],
            session_id=body["session_id"],
            language=body["language"],
            filters=body["filters"],
            caller=current_caller(),
        )
    )
    payload = {
        "reply": result.reply,
        "language": result.detected_language,
        "session_id": result.session_id,
        "turn_id": result.turn_id,
        "sources": result.sources,
        "request_id": current_request_id(),
        "flags": result.flags.public(),
    }
    return jsonify(shared(ChatResponseSchema).dump(payload))


@bp.post("/feedback")
@requires("user")
def feedback() -> Response:
    body: dict[str, Any] = parse_json(shared(FeedbackRequestSchema))
    result = current_services().pipeline.rate(body["turn_id"], current_caller(), body["rating"], body["comment"])
    return jsonify(
        shared(FeedbackResponseSchema).dump(
            {"turn_id": result.turn_id, "rating": result.rating, "request_id": current_request_id()}
        )
    )


@bp.get("/sessions/<session_id>")
@requires("user")
def session(session_id: str) -> Response:
    if not is_session_id(session_id):
        raise NotFound("The session was not found.")
    turns = current_services().pipeline.session_turns(session_id, current_caller())
    return jsonify(
        shared(SessionSchema).dump({"session_id": session_id, "turns": turns, "request_id": current_request_id()})
    )
