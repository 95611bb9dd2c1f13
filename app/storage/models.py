"""Declarative SQLAlchemy 2 models for the knowledge base.

Documents and chunks (with their embeddings as raw float32 bytes) live in the database, which is the
source of truth; every host derives its search indexes from these rows. ``index_state`` holds a single
row with the current index version that hosts poll to notice a rebuild. Raises nothing itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The largest integer id either database stores (SQLite's INTEGER, PostgreSQL's BIGINT): a larger
# one in a URL names no row, and SQLite cannot even bind it.
MAX_ROW_ID = 2**63 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """A timestamp read back from the database, timezone-aware: SQLite returns the stored UTC
    value without its zone, PostgreSQL with it."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base shared by every table of the service."""


class Document(Base):
    """One ingested document: a file, a FAQ entry or a SQuAD paragraph."""

    __tablename__ = "kb_documents"
    __table_args__ = (UniqueConstraint("source", name="uq_kb_documents_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # ``source`` is the stable identity (file path plus a fragment for multi-document files).
    source: Mapped[str] = mapped_column(String(1024), nullable=False)
    path: Mapped[str] = mapped_column(String(1024), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(512), nullable=False, default="")
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="und")
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, nullable=False, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    visibility: Mapped[str] = mapped_column(String(16), nullable=False, default="public")
    tenant: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    file_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    # Chunking settings + embedding model the chunks were made with; a mismatch means "stale".
    index_signature: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )

    chunks: Mapped[list[Chunk]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True, order_by="Chunk.position"
    )


class Chunk(Base):
    """A retrievable piece of a document with its embedding."""

    __tablename__ = "kb_chunks"
    __table_args__ = (UniqueConstraint("document_id", "position", name="uq_kb_chunks_doc_pos"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("kb_documents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="und")
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # The injection scan made at ingest: which detector judged the chunk, and the text left after
    # dropping flagged sentences (NULL when nothing was flagged). Chat turns reuse the verdict.
    scan_signature: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    scanned_text: Mapped[str | None] = mapped_column(Text, nullable=True)

    document: Mapped[Document] = relationship(back_populates="chunks")


class IndexState(Base):
    """Single-row table (id=1): the index version every host compares with its loaded index."""

    __tablename__ = "kb_index_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    embedding_model: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    dimension: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow
    )
