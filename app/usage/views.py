"""GET /usage: quota, used and remaining for each window of the caller's quotas."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from app.auth import current_principal, requires, usage
from app.request_context import current_request_id
from app.usage.schemas import UsageSchema

bp = Blueprint("usage", __name__)


@bp.get("/usage")
@requires("user")
def get_usage() -> Response:
    principal = current_principal()
    body = {
        "tenant": principal.tenant,
        "token_id": principal.token_id,
        "role": principal.role,
        "windows": usage(),
        "request_id": current_request_id(),
    }
    return jsonify(UsageSchema().dump(body))
