"""Relational storage: SQLAlchemy models, engine construction and Alembic migrations.

Nothing here touches a database at import time. ``make_engine`` raises ``ValueError`` for an
unsupported URL; ``upgrade_database`` propagates SQLAlchemy/Alembic errors unchanged.
"""

from app.storage.db import make_engine, normalise_url, session_factory
from app.storage.migrate import upgrade_database
from app.storage.models import Base, Chunk, Document, IndexState

__all__ = [
    "Base",
    "Chunk",
    "Document",
    "IndexState",
    "make_engine",
    "normalise_url",
    "session_factory",
    "upgrade_database",
]
