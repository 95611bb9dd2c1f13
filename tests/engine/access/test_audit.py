"""The audit log: records are written and listed newest first, per tenant."""

from __future__ import annotations

from sqlalchemy import Engine

from app.engine.access import Actor, AuditLog


def test_records_are_listed_newest_first(engine: Engine) -> None:
    log = AuditLog(engine)
    log.record(Actor("cli"), "tenant.create", "acme", {"quota": ""})
    log.record(Actor("token:7", "acme", "req-1"), "kb.upload", "guide.md", {"document_ids": [3]})
    log.record(Actor("token:9", "globex", "req-2"), "kb.delete", "4")
    entries = log.entries()
    assert [e.action for e in entries] == ["kb.delete", "kb.upload", "tenant.create"]
    upload = entries[1]
    assert (upload.actor, upload.tenant, upload.target, upload.request_id) == ("token:7", "acme", "guide.md", "req-1")
    assert upload.details == {"document_ids": [3]}
    assert [e.action for e in log.entries(tenant="acme")] == ["kb.upload"]
    assert len(log.entries(limit=1)) == 1
