"""Sessions and turns in the database, scoped by tenant, erasable."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from app.engine.memory import ConversationStore, NewTurn, SessionNotFound


def _turn(text: str) -> NewTurn:
    return NewTurn(user_text=text, reply=f"re: {text}", language="en", sources=[], flags={"fallback": False})


def test_append_creates_the_session_and_orders_turns(engine: Engine) -> None:
    store = ConversationStore(engine)
    for i in range(3):
        store.append("s1", "", _turn(f"q{i}"), "en", {"counters": {"EMAIL": i}})
    state = store.load("s1", "", history_turns=2)
    assert state is not None
    assert state.recent_user_messages == ["q1", "q2"]
    assert state.turn_count == 3 and state.language == "en"
    assert state.redaction_state == {"counters": {"EMAIL": 2}}
    assert [t.position for t in store.turns("s1", "")] == [1, 2, 3]


def test_tenants_cannot_see_each_others_sessions(engine: Engine) -> None:
    store = ConversationStore(engine)
    store.append("shared-id", "tenant-a", _turn("secret question"), "en", {})
    assert store.load("shared-id", "tenant-b", 5) is None
    with pytest.raises(SessionNotFound):
        store.turns("shared-id", "tenant-b")
    with pytest.raises(SessionNotFound):
        store.append("shared-id", "tenant-b", _turn("hijack"), "en", {})
    assert len(store.turns("shared-id", "tenant-a")) == 1


def test_erase_removes_everything(engine: Engine) -> None:
    store = ConversationStore(engine)
    store.append("s2", "", _turn("hello"), "en", {})
    assert store.erase("s2", "") is True
    assert store.load("s2", "", 5) is None
    assert store.erase("s2", "") is False
