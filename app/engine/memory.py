"""Conversation memory: sessions and their turns, stored redacted in the service's database.

Raises:
    SessionNotFound: reading a session that does not exist for the caller's tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.engine.gaps import question_key
from app.storage.conversation_models import ChatFeedback, ChatSession, ChatTurn, KnowledgeGap, SourceBoost
from app.storage.db import retry_on_conflict, session_factory


class SessionNotFound(LookupError):
    """No session with that id for this tenant."""


@dataclass(frozen=True)
class SessionState:
    """What the pipeline needs to know about a session before answering."""

    session_id: str
    language: str
    redaction_state: dict[str, Any]
    recent_user_messages: list[str]
    turn_count: int
    # The retrieval query vector of the latest turn: the stored text is redacted (names may be
    # placeholders), the vector still carries what the last question was about.
    last_query_vector: bytes | None = None


@dataclass
class NewTurn:
    user_text: str
    reply: str
    language: str
    sources: list[dict[str, Any]]
    flags: dict[str, bool]
    query_embedding: bytes | None = None
    turn_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class StoredTurn:
    turn_id: str
    position: int
    user_text: str
    reply: str
    language: str
    sources: list[dict[str, Any]]
    flags: dict[str, bool]
    created_at: datetime


@dataclass(frozen=True)
class SessionExport:
    """A session as stored (already redacted), with the feedback given on its turns."""

    session_id: str
    language: str
    created_at: datetime
    turns: list[StoredTurn]
    feedback: dict[str, tuple[str, str]]  # turn id -> (rating, comment)


class _AppendStatements:
    """The statements of :meth:`ConversationStore.append`, built once per store."""

    def __init__(self) -> None:
        self.count_turn = (
            update(ChatSession)
            .where(ChatSession.id == bindparam("sid"), ChatSession.tenant == bindparam("owner"))
            .values(turn_count=ChatSession.turn_count + 1, language=bindparam("new_language"),
                    redaction_state=bindparam("state"))
            .returning(ChatSession.turn_count)
        )
        self.session_exists = select(ChatSession.id).where(ChatSession.id == bindparam("sid"))
        self.new_session = insert(ChatSession)
        self.new_turn = insert(ChatTurn)


def new_session_id() -> str:
    return uuid.uuid4().hex


class ConversationStore:
    """Reads and writes sessions and turns; every query is scoped by tenant."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sql = _AppendStatements()
        self._maker: sessionmaker[Session] = session_factory(engine)

    def load(self, session_id: str, tenant: str, history_turns: int) -> SessionState | None:
        with self._maker() as db:
            session = db.get(ChatSession, session_id)
            if session is None or session.tenant != tenant:
                return None
            recent = db.execute(
                select(ChatTurn.user_text, ChatTurn.query_embedding)
                .where(ChatTurn.session_id == session_id)
                .order_by(ChatTurn.position.desc())
                .limit(history_turns)
            ).all()
            return SessionState(
                session_id=session.id,
                language=session.language,
                redaction_state=dict(session.redaction_state or {}),
                recent_user_messages=[row[0] for row in reversed(recent)],
                turn_count=session.turn_count,
                last_query_vector=next((row[1] for row in recent if row[1] is not None), None),
            )

    def append(
        self, session_id: str, tenant: str, turn: NewTurn, language: str, redaction_state: dict[str, Any],
        *, new_session: bool = False,
    ) -> str:
        """Store ``turn`` (already redacted), creating the session on first use; returns the turn id.
        ``new_session``: the caller has just made ``session_id`` up (``new_session_id``), so the
        session is created without looking for it first (a clash would fail on the primary key).

        This runs on every turn, so it uses the prepared Core statements: an update that returns the
        new position replaces the ORM's locking read, object flush and second write, and statements
        built once skip SQLAlchemy's per-call construction (most of the cost of a SQLite write)."""
        # Two first turns of a session the client named may both find no session; the second to
        # create it fails on the key and, tried again, finds it. A made-up id is never retried: a
        # clash there is a real one.
        retry_on_conflict(lambda: self._append_once(session_id, tenant, turn, language, redaction_state, new_session),
                          tries=1 if new_session else 2)
        return turn.turn_id

    def _append_once(self, session_id: str, tenant: str, turn: NewTurn, language: str,
                     redaction_state: dict[str, Any], new_session: bool) -> None:
        sql = self._sql
        with self._engine.begin() as conn:
            position = None if new_session else conn.execute(
                sql.count_turn,
                {"sid": session_id, "owner": tenant, "new_language": language, "state": redaction_state},
            ).scalar()
            if position is None:
                if not new_session and conn.execute(sql.session_exists, {"sid": session_id}).first() is not None:
                    raise SessionNotFound(session_id)  # another tenant's session
                position = 1
                conn.execute(sql.new_session, {
                    "id": session_id, "tenant": tenant, "language": language,
                    "redaction_state": redaction_state, "turn_count": position,
                })
            conn.execute(sql.new_turn, {
                "id": turn.turn_id, "session_id": session_id, "position": position, "user_text": turn.user_text,
                "reply": turn.reply, "language": turn.language, "sources": turn.sources, "flags": turn.flags,
                "query_embedding": turn.query_embedding,
            })

    def turns(self, session_id: str, tenant: str) -> list[StoredTurn]:
        with self._maker() as db:
            session = db.get(ChatSession, session_id)
            if session is None or session.tenant != tenant:
                raise SessionNotFound(session_id)
            rows: Sequence[ChatTurn] = db.scalars(
                select(ChatTurn).where(ChatTurn.session_id == session_id).order_by(ChatTurn.position)
            ).all()
            return [
                StoredTurn(r.id, r.position, r.user_text, r.reply, r.language, r.sources, r.flags, r.created_at)
                for r in rows
            ]

    def export(self, session_id: str, tenant: str) -> SessionExport:
        turns = self.turns(session_id, tenant)  # raises SessionNotFound across tenants
        with self._maker() as db:
            session = db.get(ChatSession, session_id)
            assert session is not None
            rows = db.execute(
                select(ChatFeedback.turn_id, ChatFeedback.rating, ChatFeedback.comment)
                .where(ChatFeedback.turn_id.in_([t.turn_id for t in turns]))
            ).all()
            return SessionExport(session.id, session.language, session.created_at, turns,
                                 {row[0]: (row[1], row[2]) for row in rows})

    def erase(self, session_id: str, tenant: str) -> bool:
        """Delete the session with everything derived from it, in one transaction: its turns, their
        feedback and the source boosts learned from that feedback, and its share of the knowledge
        gaps. Explicit deletes rather than foreign-key cascades, which SQLite only honours with a
        pragma. True if the session existed for ``tenant``."""
        with self._maker.begin() as db:
            session = db.get(ChatSession, session_id)
            if session is None or session.tenant != tenant:
                return False
            turns = db.execute(
                select(ChatTurn.id, ChatTurn.user_text, ChatTurn.flags).where(ChatTurn.session_id == session_id)
            ).all()
            turn_ids = [row[0] for row in turns]
            if turn_ids:
                db.execute(delete(SourceBoost).where(SourceBoost.turn_id.in_(turn_ids)))
                db.execute(delete(ChatFeedback).where(ChatFeedback.turn_id.in_(turn_ids)))
            _forget_gaps(db, tenant, [row[1] for row in turns if (row[2] or {}).get("fallback")])
            db.execute(delete(ChatTurn).where(ChatTurn.session_id == session_id))
            db.delete(session)
        return True


def _forget_gaps(db: Session, tenant: str, questions: list[str]) -> None:
    """Take the session's unanswered questions back out of the gap counts (stored with the same
    redacted text as the turns, hence the same key)."""
    for question in questions:
        key = question_key(question)
        gap = db.scalars(
            select(KnowledgeGap).where(KnowledgeGap.tenant == tenant, KnowledgeGap.question_key == key)
        ).first()
        if gap is None:
            continue
        if gap.count <= 1:
            db.delete(gap)
        else:
            gap.count = KnowledgeGap.count - 1  # by the database, like the counting up
