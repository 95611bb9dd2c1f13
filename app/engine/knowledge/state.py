"""Database side of the index lifecycle: the version row, reading chunks for a build, staleness.

Raises ``IndexMismatchError`` when stored embeddings have another dimension than expected;
database errors propagate.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.engine.knowledge.errors import IndexMismatchError
from app.engine.knowledge.index import ChunkRecord
from app.engine.knowledge.ingest import file_hash_of, is_upload
from app.storage.models import Chunk, Document, IndexState


@dataclass
class DbState:
    version: int
    embedding_model: str
    dimension: int
    updated_at: datetime | None


@dataclass
class StaleDocument:
    document_id: int
    source: str
    reason: str


@dataclass
class KBStatus:
    """What ``flask kb status`` prints and ``/metrics`` exports."""

    documents: int
    chunks: int
    index_version: int
    loaded_version: int | None
    embedding_model: str
    dimension: int
    chunking: dict[str, int]
    index_age_seconds: float | None
    stale: list[StaleDocument] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def read_state(session: Session) -> DbState:
    row = session.get(IndexState, 1)
    if row is None:
        return DbState(0, "", 0, None)
    return DbState(row.version, row.embedding_model, row.dimension, row.updated_at)


def bump_version(session: Session, model: str, dimension: int) -> int:
    """Increment the version row (creating it) and return the new version."""
    row = session.get(IndexState, 1, with_for_update=True)
    if row is None:
        row = IndexState(id=1, version=0, embedding_model=model, dimension=dimension)
        session.add(row)
    row.version += 1
    row.embedding_model = model
    row.dimension = dimension
    row.updated_at = datetime.now(UTC)
    session.flush()
    return row.version


def read_chunks(maker: sessionmaker[Session], dimension: int) -> tuple[list[ChunkRecord], npt.NDArray[np.float32]]:
    """Every chunk with its document fields and the stacked embedding matrix, in chunk id order."""
    records: list[ChunkRecord] = []
    vectors: list[npt.NDArray[np.float32]] = []
    stmt = (
        select(Chunk.id, Chunk.text, Chunk.language, Chunk.embedding, Document.id, Document.title,
               Document.source, Document.visibility, Document.tenant, Document.tags, Document.metadata_,
               Chunk.scan_signature, Chunk.scanned_text)
        .join(Document, Chunk.document_id == Document.id)
        .order_by(Chunk.id)
    )
    with maker() as session:
        for cid, text, lang, emb, did, title, source, vis, tenant, tags, meta, scan_sig, scanned in session.execute(
            stmt
        ):
            vec = np.frombuffer(emb or b"", dtype=np.float32)
            if vec.shape[0] != dimension:
                raise IndexMismatchError(
                    f"chunk {cid} has a {vec.shape[0]}-dimensional embedding, expected {dimension}; "
                    "run `flask kb reindex --full`"
                )
            vectors.append(vec)
            records.append(ChunkRecord(cid, did, title, text, lang, source, vis, tenant, list(tags or []),
                                       dict(meta or {}), scan_sig or "", scanned))
    matrix = np.vstack(vectors) if vectors else np.zeros((0, dimension), dtype=np.float32)
    return records, matrix.astype(np.float32)


def find_stale(
    session: Session, current_signature: str, document_ids: Collection[int] | None = None
) -> list[StaleDocument]:
    """Documents whose source changed or vanished, or that were chunked/embedded differently
    (among ``document_ids`` when given: only their source files are read)."""
    hashes: dict[str, str | None] = {}
    stale = []
    stmt = select(Document.id, Document.source, Document.path, Document.file_hash, Document.index_signature)
    if document_ids is not None:
        stmt = stmt.where(Document.id.in_(list(document_ids)))
    rows = session.execute(stmt.order_by(Document.id))
    for did, source, path, fhash, sig in rows:
        if is_upload(path):
            # Uploaded content lives only in the database: it can be stale by settings, never by source.
            if sig != current_signature:
                stale.append(StaleDocument(did, source, "ingested under other chunking or model settings"))
            continue
        if path not in hashes:
            hashes[path] = file_hash_of(path)
        current = hashes[path]
        if current is None:
            stale.append(StaleDocument(did, source, "source missing"))
        elif current != fhash:
            stale.append(StaleDocument(did, source, "source changed since ingest"))
        elif sig != current_signature:
            stale.append(StaleDocument(did, source, "ingested under other chunking or model settings"))
    return stale


def counts(session: Session) -> tuple[int, int, dict[str, int]]:
    docs = session.scalar(select(func.count(Document.id))) or 0
    chunks = session.scalar(select(func.count(Chunk.id))) or 0
    rows = session.execute(select(Document.language, func.count()).group_by(Document.language)).all()
    return int(docs), int(chunks), {str(lang): int(n) for lang, n in rows}
