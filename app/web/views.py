"""The chat page. It holds no data: the script it loads calls /chat with the visitor's token, if any."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request

from app.auth.requires import requires
from app.request_context import current_config
from app.web.page_text import page_text_for

bp = Blueprint("web", __name__)


@bp.get("/")
@requires("public")
def chat_page() -> Response:
    config = current_config()
    page = page_text_for(current_app.extensions["page_texts"], list(request.accept_languages),
                         config.language.default_language)
    response = make_response(render_template(
        "chat.html", name=config.app.name, max_chars=config.safety.max_input_chars, page=page,
    ))
    response.vary.add("Accept-Language")
    return response
