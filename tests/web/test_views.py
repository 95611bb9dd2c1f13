"""The chat page: served with the page's security headers, CSP-clean, and its script's contract with
the chat API (the routes it calls and the fields it reads) holds."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import app as app_package
from app.web.page_text import KEYS, PageTextError, load_page_texts, parse_page_text

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


def _page_text(page: str) -> dict[str, str]:
    found = re.search(r"<body data-text='([^']*)'>", page)
    assert found, "the page carries its script's words"
    text: dict[str, str] = json.loads(html.unescape(found.group(1)))
    return text


@pytest.mark.parametrize(
    ("accept", "language", "direction", "label"),
    [("de-DE,de;q=0.9,en;q=0.5", "de", "ltr", "Neues Gespräch"),
     ("pt-BR", "pt", "ltr", "Nova conversa"),
     ("ar", "ar", "rtl", "محادثة جديدة"),
     ("sw, xx;q=0.8, ja;q=0.5", "ja", "ltr", "新しい会話"),
     ("sw", "en", "ltr", "New conversation")],  # no page text in Swahili: the default language's
)
def test_the_page_speaks_the_visitors_language(
    client: FlaskClient, accept: str, language: str, direction: str, label: str
) -> None:
    response = client.get("/", headers={"Accept-Language": accept})
    page = response.get_data(as_text=True)
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert f'<button type="button" id="new-conversation">{label}</button>' in page
    assert _page_text(page) == load_page_texts()[language].text
    assert "Accept-Language" in response.headers["Vary"]


def test_the_page_falls_back_to_the_configured_default_language(app_factory: Callable[..., Flask]) -> None:
    client = app_factory({"language": {"default_language": "fr"}}).test_client()
    page = client.get("/", headers={"Accept-Language": "sw"}).get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in page and "Nouvelle conversation" in page


def test_every_reply_language_has_page_text_read_at_start(app: Flask) -> None:
    assert set(load_page_texts()) == set(app.extensions["services"].pipeline.c.messages.languages)
    assert app.extensions["page_texts"] == load_page_texts()


def test_the_script_shows_only_words_the_page_texts_have() -> None:
    used = set(re.findall(r'say\("(\w+)"', SCRIPT))
    assert used and used <= set(KEYS)
    literals = set(re.findall(r'"([^"]*)"', re.sub(r'say\("\w+"', "", SCRIPT)))
    assert literals.isdisjoint(load_page_texts()["en"].text.values())  # no English words left in code


@pytest.mark.parametrize(
    ("data", "problem"),
    [({"language": "xx", "direction": "ltr", "text": {}}, "keys missing"),
     ({"language": "xx", "direction": "ltr", "text": 5}, "keys missing"),
     ({"language": "yy", "direction": "ltr", "text": {}}, "'language' is 'xx'"),
     ({"language": "xx", "direction": "up", "text": {}}, "direction"),
     ({"language": "xx", "direction": "ltr", "text": {**{k: "x" for k in KEYS}, "service_answered": "no status"}},
      "placeholders")],
)
def test_a_broken_page_text_is_refused(data: dict[str, object], problem: str) -> None:
    with pytest.raises(PageTextError, match=problem):
        parse_page_text("xx", data)
