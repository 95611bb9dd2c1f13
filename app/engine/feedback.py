"""Learning from ratings: feedback rows, and per-source boosts for similar future questions.

A thumbs-up on a turn promotes the sources it cited for questions whose embedding is close to that
turn's question; a thumbs-down demotes them. Each rating's weight decays with age (half-life), is
scaled by question similarity, and the total per source is clamped, so a few votes nudge
rankings without ever burying a source for good. Boosts are scoped by tenant.

Raises:
    TurnNotFound: feedback for a turn that does not exist for the caller's tenant.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, Row, func, select

from app.storage.conversation_models import ChatFeedback, ChatSession, ChatTurn, SourceBoost
from app.storage.db import retry_on_conflict, session_factory

Vector = npt.NDArray[np.float32]
RATING_VALUE = {"up": 1.0, "down": -1.0}


class TurnNotFound(LookupError):
    """No turn with that id for this tenant."""


@dataclass(frozen=True)
class AdaptSettings:
    similarity_threshold: float = 0.88
    half_life_days: float = 30.0
    max_boost: float = 0.3
    weight: float = 0.25
    refresh_seconds: float = 1.0


@dataclass(frozen=True)
class FeedbackResult:
    turn_id: str
    rating: str
    sources_adjusted: int


class _BoostTable:
    """An in-memory copy of one tenant's boosts, reloaded when the table changes."""

    def __init__(self) -> None:
        self.marker: tuple[int, int] = (-1, -1)
        self.vectors: Vector = np.zeros((0, 0), dtype=np.float32)
        self.document_ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.values: npt.NDArray[np.float64] = np.zeros(0)
        self.created: npt.NDArray[np.float64] = np.zeros(0)
        self.checked_at = 0.0


class FeedbackLearner:
    """Stores ratings and turns them into score adjustments for retrieval candidates."""

    def __init__(self, engine: Engine, settings: AdaptSettings) -> None:
        self._maker = session_factory(engine)
        self._settings = settings
        self._tables: dict[tuple[str, int], _BoostTable] = {}
        self._lock = threading.Lock()

    def rate(self, turn_id: str, tenant: str, rating: str, comment: str) -> FeedbackResult:
        """Record (or replace) the rating of a turn and the boosts it implies for its sources."""
        # A rating sent twice at once (a double click): both may find no rating and insert one; the
        # second fails on the turn's unique rating and, tried again, replaces the first with its boosts.
        return retry_on_conflict(lambda: self._rate_once(turn_id, tenant, rating, comment))

    def _rate_once(self, turn_id: str, tenant: str, rating: str, comment: str) -> FeedbackResult:
        with self._maker.begin() as db:
            turn = db.get(ChatTurn, turn_id)
            session = db.get(ChatSession, turn.session_id) if turn is not None else None
            if turn is None or session is None or session.tenant != tenant:
                raise TurnNotFound(turn_id)
            existing = db.scalars(select(ChatFeedback).where(ChatFeedback.turn_id == turn_id)).first()
            if existing is None:
                db.add(ChatFeedback(turn_id=turn_id, rating=rating, comment=comment))
            else:
                existing.rating, existing.comment = rating, comment
            # A changed mind replaces the earlier boosts of this turn instead of adding to them.
            for old in db.scalars(select(SourceBoost).where(SourceBoost.turn_id == turn_id)):
                db.delete(old)
            document_ids = sorted({int(s["document_id"]) for s in turn.sources if "document_id" in s})
            if turn.query_embedding is not None:
                for document_id in document_ids:
                    db.add(
                        SourceBoost(
                            tenant=tenant,
                            turn_id=turn_id,
                            document_id=document_id,
                            value=RATING_VALUE[rating],
                            query_embedding=turn.query_embedding,
                        )
                    )
        return FeedbackResult(turn_id, rating, len(document_ids) if turn.query_embedding is not None else 0)

    def adjustments(self, tenant: str, query: Vector) -> dict[int, float]:
        """Score adjustment per document id for a question with embedding ``query``."""
        table = self._table(tenant, int(query.shape[0]))
        if table.values.size == 0:
            return {}
        similarity = table.vectors @ query
        close = similarity >= self._settings.similarity_threshold
        if not close.any():
            return {}
        age_days = (time.time() - table.created[close]) / 86400.0
        decay = np.power(0.5, age_days / self._settings.half_life_days)
        contributions = table.values[close] * similarity[close] * decay * self._settings.weight
        totals: dict[int, float] = {}
        for document_id, value in zip(table.document_ids[close].tolist(), contributions.tolist(), strict=True):
            totals[int(document_id)] = totals.get(int(document_id), 0.0) + float(value)
        limit = self._settings.max_boost
        return {doc: math.copysign(min(abs(v), limit), v) for doc, v in totals.items() if v != 0.0}

    def forget(self, tenant: str) -> None:
        """Drop the in-memory boosts of ``tenant`` so the next question reloads them."""
        with self._lock:
            for key in [k for k in self._tables if k[0] == tenant]:
                del self._tables[key]

    def _table(self, tenant: str, dimension: int) -> _BoostTable:
        with self._lock:
            table = self._tables.setdefault((tenant, dimension), _BoostTable())
            now = time.monotonic()
            if now - table.checked_at < self._settings.refresh_seconds:
                return table
            table.checked_at = now
            with self._maker() as db:
                marker_row = db.execute(
                    select(func.count(SourceBoost.id), func.coalesce(func.max(SourceBoost.id), 0)).where(
                        SourceBoost.tenant == tenant
                    )
                ).one()
                marker = (int(marker_row[0]), int(marker_row[1]))
                if marker == table.marker:
                    return table
                rows = db.execute(
                    select(SourceBoost.document_id, SourceBoost.value, SourceBoost.query_embedding,
                           SourceBoost.created_at).where(SourceBoost.tenant == tenant)
                ).all()
            self._load(table, rows, marker, dimension)
            return table

    def _load(self, table: _BoostTable, rows: Sequence[Row[int, float, bytes, datetime]],
              marker: tuple[int, int], dimension: int) -> None:
        usable = [r for r in rows if len(r[2]) == dimension * 4]
        table.vectors = (
            np.stack([np.frombuffer(r[2], dtype=np.float32) for r in usable])
            if usable else np.zeros((0, dimension), dtype=np.float32)
        )
        table.document_ids = np.array([r[0] for r in usable], dtype=np.int64)
        table.values = np.array([r[1] for r in usable], dtype=np.float64)
        table.created = np.array([_epoch(r[3]) for r in usable], dtype=np.float64)
        table.marker = marker


def _epoch(value: object) -> float:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.timestamp()
    return time.time()
