"""Knowledge gaps: questions that got the "I don't know that yet" answer, counted per tenant.

``flask kb gaps`` lists the most frequent ones so a curator knows what to add. Questions are stored
redacted. Raises nothing beyond database errors.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from app.storage.conversation_models import KnowledgeGap
from app.storage.db import retry_on_conflict, session_factory
from app.storage.models import utcnow

_NOT_WORD = re.compile(r"[^\w]+")


def question_key(question: str) -> str:
    """Same key for questions that differ only in case, punctuation and spacing."""
    folded = unicodedata.normalize("NFKC", question).casefold()
    return hashlib.sha256(" ".join(_NOT_WORD.sub(" ", folded).split()).encode()).hexdigest()


@dataclass(frozen=True)
class Gap:
    question: str
    language: str
    count: int
    first_seen: datetime
    last_seen: datetime


class GapRecorder:
    def __init__(self, engine: Engine) -> None:
        self._maker = session_factory(engine)

    def record(self, tenant: str, language: str, question: str) -> None:
        # Another worker may insert the same question first; tried again, it counts as a repeat.
        retry_on_conflict(lambda: self._record_once(tenant, language, question, question_key(question)))

    def _record_once(self, tenant: str, language: str, question: str, key: str) -> None:
        with self._maker.begin() as db:
            gap = db.scalars(
                select(KnowledgeGap).where(KnowledgeGap.tenant == tenant, KnowledgeGap.question_key == key)
            ).first()
            if gap is None:
                db.add(KnowledgeGap(tenant=tenant, question_key=key, question=question, language=language))
            else:
                # Incremented by the database: two workers counting the same question both count.
                gap.count = KnowledgeGap.count + 1
                gap.last_seen = utcnow()

    def top(self, tenant: str, limit: int = 20) -> list[Gap]:
        with self._maker() as db:
            rows = db.scalars(
                select(KnowledgeGap)
                .where(KnowledgeGap.tenant == tenant)
                .order_by(KnowledgeGap.count.desc(), KnowledgeGap.last_seen.desc())
                .limit(limit)
            ).all()
            return [Gap(r.question, r.language, r.count, r.first_seen, r.last_seen) for r in rows]
