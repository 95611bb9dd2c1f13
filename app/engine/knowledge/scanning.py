"""Scanning chunks as they are written, so the verdict is stored once rather than recomputed on
every chat turn that retrieves the chunk. The knowledge base only knows this interface; the safety
layer provides the implementation. Raises nothing."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.storage.models import Chunk


class ChunkScanner(Protocol):
    @property
    def signature(self) -> str: ...

    def clean(self, text: str) -> str: ...


def scan_columns(scanner: ChunkScanner | None, text: str) -> dict[str, str | None]:
    """``scan_signature``/``scanned_text`` for a new chunk row (unscanned without a scanner)."""
    if scanner is None:
        return {"scan_signature": "", "scanned_text": None}
    kept = scanner.clean(text)
    return {"scan_signature": scanner.signature, "scanned_text": None if kept == text else kept}


def rescan_chunks(
    maker: sessionmaker[Session], scanner: ChunkScanner, document_ids: Collection[int] | None = None,
    batch: int = 500,
) -> int:
    """Scan the chunks judged by another detector (or none), of ``document_ids`` when given;
    returns how many were rescanned."""
    stmt = select(Chunk.id, Chunk.text).where(Chunk.scan_signature != scanner.signature)
    if document_ids is not None:
        stmt = stmt.where(Chunk.document_id.in_(list(document_ids)))
    total = 0
    while True:
        with maker.begin() as session:
            rows = session.execute(stmt.limit(batch)).all()
            for chunk_id, text in rows:
                session.execute(update(Chunk).where(Chunk.id == chunk_id).values(**scan_columns(scanner, text)))
        total += len(rows)
        if len(rows) < batch:
            return total
