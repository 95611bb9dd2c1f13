"""Conversation administration: export a session as stored (redacted), and erase it.

Scoped by the admin's tenant: another tenant's session is "not found", whatever its id. Erasure
removes turns, feedback, learned boosts, gap counts and this process's caches; both actions are
audited. Raises ``SessionNotFound``.
"""

from __future__ import annotations

from app.engine.access import Actor, AuditLog
from app.engine.memory import ConversationStore, SessionExport, SessionNotFound
from app.engine.pipeline import ChatPipeline


class ConversationAdmin:
    def __init__(self, memory: ConversationStore, pipeline: ChatPipeline, audit: AuditLog) -> None:
        self._memory = memory
        self._pipeline = pipeline
        self._audit = audit

    def export(self, who: Actor, session_id: str) -> SessionExport:
        exported = self._memory.export(session_id, who.tenant)
        self._audit.record(who, "conversation.export", session_id, {"turns": len(exported.turns)})
        return exported

    def erase(self, who: Actor, session_id: str) -> None:
        if not self._pipeline.erase_session(session_id, who.tenant):
            raise SessionNotFound(session_id)
        self._audit.record(who, "conversation.erase", session_id)
