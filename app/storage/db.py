"""Engine construction for SQLite (embedded default) and PostgreSQL (psycopg 3).

``make_engine`` raises ``ValueError`` for a URL that is neither SQLite nor PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def normalise_url(url: str) -> str:
    """Map plain ``postgres://``/``postgresql://`` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers (gunicorn workers) keep answering while an ingest writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL cannot corrupt the database; a power cut may lose the last commits,
        # and it saves an fsync per chat turn.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an Engine; SQLite gets WAL + foreign keys, PostgreSQL uses psycopg 3."""
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)
    raise ValueError(f"unsupported database URL scheme {backend!r}: use sqlite:/// or postgresql+psycopg://")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker that keeps loaded attributes usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def retry_on_conflict(write: Callable[[], T], tries: int = 3) -> T:
    """``write()`` (one whole transaction), run again when it fails on a unique key.

    Read-then-insert transactions race: two writers both find no row and both insert it, and the
    database refuses the second (PostgreSQL under READ COMMITTED; on SQLite when the first held the
    write lock). The next try reads the row the other committed and updates it instead."""
    for attempt in range(1, tries + 1):
        try:
            return write()
        except IntegrityError:
            if attempt == tries:
                raise
    raise AssertionError("unreachable")
