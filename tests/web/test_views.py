"""The chat page: served with the page's security headers, CSP-clean, and its script's contract with
the chat API (the routes it calls and the fields it reads) holds."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import app as app_package

STATIC = Path(app_package.__file__).parent / "static"
SCRIPT = (STATIC / "chat.js").read_text(encoding="utf-8")


def test_the_page_is_served_with_the_page_policy(app: Flask, client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == app.extensions["config"].security.page_csp
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Request-ID"]
    page = response.get_data(as_text=True)
    assert f'maxlength="{app.extensions["config"].safety.max_input_chars}"' in page
    assert '<script src="/static/chat.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/chat.css">' in page


def test_the_page_needs_nothing_the_policy_forbids(client: FlaskClient) -> None:
    # script-src and style-src 'self': no inline script, style or event handler would run.
    page = client.get("/").get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.findall(r"<style|\sstyle=|\son[a-z]+=", page) == []
    assert re.findall(r"https?://", page + SCRIPT) == []  # connect-src 'self': nothing elsewhere


@pytest.mark.parametrize(("path", "mimetype"), [("/static/chat.js", "text/javascript"),
                                                ("/static/chat.css", "text/css")])
def test_the_assets_are_served(client: FlaskClient, path: str, mimetype: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == mimetype
    response.close()


def test_the_script_never_writes_html() -> None:
    # Replies quote the knowledge base and sessions quote users: both reach the page as text only.
    assert re.findall(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", SCRIPT) == []


def test_the_script_calls_only_routes_that_exist(app: Flask) -> None:
    calls = re.findall(r'callApi\("([A-Z]+)", "(/[^"]*)"', SCRIPT)
    assert {method for method, _ in calls} == {"GET", "POST"} and len(calls) == 3
    adapter = app.url_map.bind("localhost")
    for method, path in calls:
        probe = path + ("some-session" if path.endswith("/") else "")
        endpoint, _ = adapter.match(probe, method=method)
        assert endpoint.startswith("chat."), (method, path)


def test_what_the_script_reads_is_what_the_api_answers(app_factory: Callable[..., Flask]) -> None:
    app = app_factory({"ratelimit": {"enabled": False}})
    assert app.test_cli_runner().invoke(args=["kb", "bootstrap"]).exit_code == 0
    client = app.test_client()
    reply = client.post("/chat", json={"message": "How do I run the service?"}).get_json()
    assert {"session_id", "reply", "language", "sources", "turn_id", "flags"} <= reply.keys()
    assert reply["sources"] and {"title", "snippet", "score"} <= reply["sources"][0].keys()
    assert {"fallback", "refused"} <= reply["flags"].keys()
    stored = client.get(f"/chat/sessions/{reply['session_id']}").get_json()
    turn = stored["turns"][0]
    assert {"user_text", "reply", "language", "sources", "flags", "turn_id"} <= turn.keys()
    rated = client.post("/chat/feedback", json={"turn_id": turn["turn_id"], "rating": "up"})
    assert rated.status_code == 200


def test_without_anonymous_access_the_page_loads_and_chat_asks_for_a_token(
    app_factory: Callable[..., Flask],
) -> None:
    client = app_factory({"auth": {"allow_anonymous": False}}).test_client()
    assert client.get("/").status_code == 200
    refused = client.post("/chat", json={"message": "hello"})
    # The script shows its token form on 401 and prints the JSON message with the request id.
    assert refused.status_code == 401 and refused.get_json()["message"] and refused.get_json()["request_id"]
