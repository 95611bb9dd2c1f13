"""Ingestion: walk paths safely, parse, chunk, detect language, embed, and write rows.

Idempotent by content hash; a changed file's documents replace their chunks in one transaction;
``prune`` removes documents whose source vanished under the given roots. Malformed files become
one report line each. Raises ``UnsafePathError`` for a path outside the allowed roots and
``IngestError`` for a path that does not exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from app.engine.knowledge.chunking import chunk_text
from app.engine.knowledge.embedder import Embedder
from app.engine.knowledge.errors import IngestError, ParseError, UnsafePathError
from app.engine.knowledge.index import ranking_text
from app.engine.knowledge.language import detect_language
from app.engine.knowledge.loaders import ParsedDocument, parse_file
from app.engine.knowledge.scanning import ChunkScanner, scan_columns
from app.engine.knowledge.settings import RetrievalSettings
from app.storage.db import retry_on_conflict
from app.storage.models import Chunk, Document

ProgressFn = Callable[[int], None]


@dataclass
class IngestReport:
    """Outcome of one ingest call."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    pruned: int = 0
    chunks: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    index_version: int | None = None

    def add(self, other: IngestReport) -> None:
        """Count ``other``'s documents and chunks in this report."""
        for name in ("added", "updated", "skipped", "failed", "pruned", "chunks"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.pruned)

    def summary(self) -> str:
        return (
            f"documents: {self.added} added, {self.updated} updated, {self.skipped} skipped, "
            f"{self.failed} failed, {self.pruned} pruned; {self.chunks} chunks; {self.seconds:.1f} s"
        )


def signature(settings: RetrievalSettings, model: str) -> str:
    """Hash of what shapes a document's chunks and vectors; differing means the document is stale."""
    raw = json.dumps([settings.chunk_size, settings.chunk_overlap, model], sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def content_hash(doc: ParsedDocument, tags: Sequence[str]) -> str:
    raw = json.dumps([doc.title, doc.text, sorted(set(doc.tags) | set(tags)), doc.visibility], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def iter_files(paths: Iterable[Path], allowed_roots: Sequence[Path], extensions: Sequence[str]) -> Iterator[
    tuple[Path, Path | None, str | None]
]:
    """Yield (resolved file, its root, problem) for every candidate file under ``paths``.

    A path given explicitly must resolve inside ``allowed_roots`` (when any); files found in a
    directory must resolve inside that directory, so symlinks cannot lead out of it.
    """
    for given in paths:
        resolved = Path(os.path.realpath(given))
        if allowed_roots and not _inside(resolved, allowed_roots):
            raise UnsafePathError(f"{given}: resolves to {resolved}, outside the allowed roots")
        if not resolved.exists():
            raise IngestError(f"{given}: no such file or directory")
        if resolved.is_file():
            yield resolved, resolved.parent, None
            continue
        for dirpath, dirnames, filenames in os.walk(resolved, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                candidate = Path(dirpath) / name
                if candidate.suffix.lower() not in extensions:
                    continue
                real = Path(os.path.realpath(candidate))
                if not _inside(real, [resolved]):
                    yield candidate, None, f"{candidate}: refused, resolves outside {resolved}"
                    continue
                yield real, resolved, None


@dataclass
class _Pending:
    doc: ParsedDocument
    file_hash: str
    chash: str
    existing: Document | None
    pieces: list[str] = field(default_factory=list)


def _chunk(doc: ParsedDocument, settings: RetrievalSettings) -> list[str]:
    return chunk_text(doc.text, settings.chunk_size, settings.chunk_overlap) or [doc.text]


def _write_document(session: Session, p: _Pending, vectors: np.ndarray[Any, Any], doc_lang: str,
                    tags: Sequence[str], sig: str, path: str, tenant: str | None,
                    scanner: ChunkScanner | None) -> Document:
    langs = chunk_languages(p.pieces, doc_lang)
    row = p.existing or Document(source=p.doc.source)
    row.path = path
    row.tenant = tenant or None
    row.title = p.doc.title[:512]
    row.body = p.doc.text
    row.language = doc_lang
    row.metadata_ = p.doc.metadata
    row.tags = sorted(set(p.doc.tags) | set(tags))
    row.visibility = p.doc.visibility
    row.content_hash = p.chash
    row.file_hash = p.file_hash
    row.index_signature = sig
    if p.existing is not None:
        session.execute(delete(Chunk).where(Chunk.document_id == p.existing.id))
        session.flush()
    else:
        session.add(row)
        session.flush()
    for pos, (text, vec, lang) in enumerate(zip(p.pieces, vectors, langs, strict=True)):
        session.add(Chunk(document_id=row.id, position=pos, text=text, language=lang,
                          embedding=np.asarray(vec, dtype=np.float32).tobytes(), **scan_columns(scanner, text)))
    return row


def chunk_languages(pieces: list[str], doc_lang: str) -> list[str]:
    """Per-chunk language when a document has several chunks (mixed-language pages)."""
    if len(pieces) == 1:
        return [doc_lang]
    return [detect_language(p) if len(p) >= 200 else doc_lang for p in pieces]


def embed_documents(pending: list[_Pending], embedder: Embedder, progress: ProgressFn | None) -> list[Any]:
    texts = [ranking_text(p.doc.title, piece) for p in pending for piece in p.pieces]
    matrix = embedder.embed_passages(texts, progress=progress)
    out, start = [], 0
    for p in pending:
        out.append(matrix[start : start + len(p.pieces)])
        start += len(p.pieces)
    return out


def ingest_file(
    maker: sessionmaker[Session],
    path: Path,
    docs: list[ParsedDocument],
    file_hash: str,
    tags: Sequence[str],
    settings: RetrievalSettings,
    embedder: Embedder,
    report: IngestReport,
    progress: ProgressFn | None,
    tenant: str | None = None,
    scanner: ChunkScanner | None = None,
) -> list[int]:
    """Embed the new/changed documents of one file and write them in one transaction.

    Returns the ids of the file's documents (written or unchanged); ``tenant`` None is shared."""
    def write() -> tuple[list[int], IngestReport]:
        # Counted afresh on every try: a try that lost a race to another writer wrote nothing.
        counts = IngestReport()
        sig = signature(settings, embedder.name)
        with maker.begin() as session:
            existing = {
                d.source: d
                for d in session.scalars(select(Document).where(Document.source.in_([d.source for d in docs])))
            }
            pending = []
            ids: list[int] = []
            for doc in docs:
                chash = content_hash(doc, tags)
                old = existing.get(doc.source)
                if (old is not None and old.content_hash == chash and old.index_signature == sig
                        and old.tenant == (tenant or None)):
                    ids.append(old.id)
                    if old.file_hash != file_hash:
                        old.file_hash = file_hash
                    counts.skipped += 1
                    if progress is not None:
                        progress(len(_chunk(doc, settings)))
                    continue
                pending.append(_Pending(doc, file_hash, chash, old, _chunk(doc, settings)))
            vectors = embed_documents(pending, embedder, progress)
            # Embedding happened before any write, so the file's rows change in one short write burst.
            for p, vecs in zip(pending, vectors, strict=True):
                row = _write_document(session, p, vecs, detect_language(p.doc.text), tags, sig, str(path), tenant,
                                      scanner)
                ids.append(row.id)
                counts.chunks += len(p.pieces)
                if p.existing is None:
                    counts.added += 1
                else:
                    counts.updated += 1
        return ids, counts

    # A concurrent writer (two ingests of one folder, hosts bootstrapping one database) may insert one
    # of these documents first; the next try finds it and skips or updates it like any other.
    ids, counts = retry_on_conflict(write)
    report.add(counts)
    return ids


def parse_path(path: Path) -> tuple[list[ParsedDocument], str]:
    """Documents of one file and the file's hash; raises ``ParseError``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"{path}: unreadable ({exc.strerror})") from exc
    return parse_file(path, data), hashlib.sha256(data).hexdigest()


def prune_missing(maker: sessionmaker[Session], roots: Sequence[Path], seen: set[str]) -> int:
    """Delete documents under ``roots`` whose source was not seen in this ingest."""
    removed = 0
    with maker.begin() as session:
        for root in roots:
            prefix = str(root)
            rows = session.scalars(select(Document).where(Document.path.startswith(prefix))).all()
            for row in rows:
                if row.source not in seen and _inside(Path(row.path), [root]):
                    session.delete(row)
                    removed += 1
    return removed


# Documents uploaded through the admin API have no file behind them; their path starts with this.
UPLOAD_SCHEME = "upload:"


def is_upload(path: str) -> bool:
    return path.startswith(UPLOAD_SCHEME)


def file_hash_of(path: str) -> str | None:
    """Current hash of a source file, or ``None`` when it is gone."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def elapsed_since(start: float) -> float:
    return round(time.perf_counter() - start, 3)


def reembed_documents(maker: sessionmaker[Session], ids: list[int], settings: RetrievalSettings,
                      embedder: Embedder, scanner: ChunkScanner | None = None, batch: int = 64) -> int:
    """Re-chunk stored bodies and re-embed them under the current settings; returns chunk count."""
    sig = signature(settings, embedder.name)
    total = 0
    for start in range(0, len(ids), batch):
        with maker.begin() as session:
            rows = session.scalars(select(Document).where(Document.id.in_(ids[start : start + batch]))).all()
            pending = [
                _Pending(ParsedDocument(r.source, r.title, r.body, r.metadata_, list(r.tags), r.visibility),
                         r.file_hash, r.content_hash, r, [])
                for r in rows
            ]
            for p in pending:
                p.pieces = _chunk(p.doc, settings)
            vectors = embed_documents(pending, embedder, None)
            for p, vecs in zip(pending, vectors, strict=True):
                assert p.existing is not None
                _write_document(session, p, vecs, p.existing.language, (), sig, p.existing.path, p.existing.tenant,
                                scanner)
                total += len(p.pieces)
    return total
