"""The chat page. It holds no data: the script it loads calls /chat with the visitor's token, if any."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.auth.requires import requires
from app.request_context import current_config

bp = Blueprint("web", __name__)


@bp.get("/")
@requires("public")
def chat_page() -> str:
    config = current_config()
    return render_template("chat.html", name=config.app.name, max_chars=config.safety.max_input_chars)
