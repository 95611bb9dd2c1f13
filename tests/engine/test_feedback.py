"""Ratings become bounded, decaying, similarity-scoped source boosts."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, select

from app.engine.feedback import AdaptSettings, FeedbackLearner, TurnNotFound
from app.engine.memory import ConversationStore, NewTurn
from app.storage.conversation_models import ChatFeedback, SourceBoost
from app.storage.db import session_factory
from app.storage.models import Document
from tests.conftest import another_writer_first


def _unit(seed: int) -> np.ndarray:  # type: ignore[type-arg]
    vector = np.random.default_rng(seed).normal(size=8).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _document(engine: Engine, source: str) -> int:
    with session_factory(engine).begin() as db:
        doc = Document(source=source, path=source, title=source, content_hash="h")
        db.add(doc)
        db.flush()
        return doc.id


def _turn(engine: Engine, tenant: str, vector: np.ndarray, document_id: int) -> str:  # type: ignore[type-arg]
    turn = NewTurn("q", "a", "en", [{"id": f"{document_id}:1", "document_id": document_id}], {},
                   query_embedding=vector.tobytes())
    return ConversationStore(engine).append(f"s-{turn.turn_id}", tenant, turn, "en", {})


SETTINGS = AdaptSettings(similarity_threshold=0.9, half_life_days=30, max_boost=0.3, weight=0.25, refresh_seconds=0)


def test_down_votes_demote_for_similar_questions_only(engine: Engine) -> None:
    learner = FeedbackLearner(engine, SETTINGS)
    doc = _document(engine, "a.md")
    question = _unit(1)
    learner.rate(_turn(engine, "", question, doc), "", "down", "")
    assert learner.adjustments("", question)[doc] < 0
    assert learner.adjustments("", _unit(2)) == {}  # an unrelated question is unaffected


def test_boosts_are_bounded_and_per_tenant(engine: Engine) -> None:
    learner = FeedbackLearner(engine, SETTINGS)
    doc = _document(engine, "b.md")
    question = _unit(3)
    for _ in range(10):
        learner.rate(_turn(engine, "t1", question, doc), "t1", "up", "")
    assert learner.adjustments("t1", question)[doc] == pytest.approx(0.3)
    assert learner.adjustments("t2", question) == {}


def test_changing_a_rating_replaces_it(engine: Engine) -> None:
    learner = FeedbackLearner(engine, SETTINGS)
    doc = _document(engine, "c.md")
    question = _unit(4)
    turn_id = _turn(engine, "", question, doc)
    learner.rate(turn_id, "", "up", "")
    learner.rate(turn_id, "", "down", "changed my mind")
    assert learner.adjustments("", question)[doc] < 0


def test_a_rating_sent_twice_at_once_counts_once(engine: Engine) -> None:
    # The second click's rating is written while the first one's transaction has only looked.
    learner = FeedbackLearner(engine, SETTINGS)
    doc = _document(engine, "d.md")
    turn_id = _turn(engine, "", _unit(5), doc)
    first_click = lambda: FeedbackLearner(engine, SETTINGS).rate(turn_id, "", "up", "first click")  # noqa: E731
    with another_writer_first(engine, "INSERT INTO chat_feedback", first_click) as raced:
        result = learner.rate(turn_id, "", "down", "second click")
    assert raced and result.rating == "down"
    with session_factory(engine)() as db:
        assert db.scalars(select(ChatFeedback.comment)).all() == ["second click"]
        assert db.scalars(select(SourceBoost.value)).all() == [-1.0]


def test_unknown_or_foreign_turns_are_rejected(engine: Engine) -> None:
    learner = FeedbackLearner(engine, SETTINGS)
    doc = _document(engine, "d.md")
    turn_id = _turn(engine, "owner", _unit(5), doc)
    with pytest.raises(TurnNotFound):
        learner.rate("missing", "", "up", "")
    with pytest.raises(TurnNotFound):
        learner.rate(turn_id, "intruder", "up", "")
