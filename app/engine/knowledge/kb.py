"""The knowledge-base facade used by the CLI, /ready, /metrics and the chat pipeline.

One ``KnowledgeBase`` per process. It ingests into the database, publishes derived indexes into
version directories, and notices (at most once per ``version_check_interval``) when another process
published a newer version, loading it in the background while the old one keeps answering.
Raises ``IngestError``/``UnsafePathError`` from ``ingest``, ``IndexMismatchError`` and
``IndexNotReadyError`` from ``search`` when the index cannot be used.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Engine, or_, select

from app.engine.knowledge import ingest as ing
from app.engine.knowledge import state
from app.engine.knowledge.cache import QueryCache, cache_key, text_key
from app.engine.knowledge.chunking import chunk_text
from app.engine.knowledge.embedder import Embedder, make_embedder
from app.engine.knowledge.errors import IndexMismatchError, IndexNotReadyError, KnowledgeError, ParseError
from app.engine.knowledge.index import (
    LoadedIndex,
    check_manifest,
    chunking_settings,
    load_index,
    version_dir,
    write_index,
)
from app.engine.knowledge.language import detect_language
from app.engine.knowledge.rerank import Reranker, TermOverlapReranker
from app.engine.knowledge.scanning import ChunkScanner, rescan_chunks
from app.engine.knowledge.search import SearchHit, search_index, warm_snippet
from app.engine.knowledge.settings import RetrievalSettings
from app.engine.knowledge.tokenize import tokenize
from app.engine.knowledge.uploads import Upload, parse_upload, upload_source
from app.engine.stemming import stems
from app.storage.db import session_factory
from app.storage.models import MAX_ROW_ID, Document, as_utc

_GAUGE_REFRESH_SECONDS = 60.0

logger = logging.getLogger(__name__)


@dataclass
class ReindexReport:
    version: int
    reembedded_documents: int
    chunks: int
    seconds: float
    rescanned_chunks: int = 0


class KnowledgeBase:
    """Ingest, search, status and reindex over one database and one index directory."""

    def __init__(self, settings: RetrievalSettings, engine: Engine, index_dir: Path,
                 embedder: Embedder | None = None, reranker: Reranker | None = None,
                 scanner: ChunkScanner | None = None) -> None:
        self.settings = settings
        self.scanner = scanner
        self.engine = engine
        self.index_dir = Path(index_dir)
        self._maker = session_factory(engine)
        self._embedder = embedder
        self.reranker: Reranker = reranker or TermOverlapReranker(settings.rerank_weight)
        self.cache: QueryCache[list[SearchHit]] = QueryCache(settings.cache_size)
        self._vectors: QueryCache[npt.NDArray[np.float32]] = QueryCache(settings.cache_size)
        self._index: LoadedIndex | None = None
        self._error: str | None = None
        self._lock = threading.Lock()
        self._refreshing: threading.Thread | None = None
        self._last_check = 0.0
        self._last_status: state.KBStatus | None = None
        self._last_status_at = 0.0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = make_embedder(s.embedding_model, s.embed_workers, s.embed_batch_size, s.query_max_tokens)
        return self._embedder

    @property
    def loaded_version(self) -> int | None:
        return self._index.version if self._index is not None else None

    # ---- index lifecycle -------------------------------------------------------------------

    def _publish(self, version: int) -> LoadedIndex:
        """Load ``version`` from disk, building it from the database first if no host has yet."""
        emb = self.embedder
        if not version_dir(self.index_dir, version).is_dir():
            records, matrix = state.read_chunks(self._maker, emb.dim)
            write_index(self.index_dir, version, records, matrix, self.settings, emb.name)
        index = load_index(self.index_dir, version, self.settings)
        check_manifest(index.manifest, emb.name, emb.dim)
        return index

    def _swap(self, index: LoadedIndex) -> None:
        with self._lock:
            self._index = index
            self._error = None
        self.cache.clear()

    def _load_version(self, version: int) -> None:
        try:
            self._swap(self._publish(version))
        except KnowledgeError as exc:
            self._error = str(exc)

    def _load_in_background(self, version: int) -> None:
        """The refresh thread's work. Should it fail (the database gone for a moment), the loaded
        snapshot keeps answering and the next check tries again; the thread must not end on an
        unhandled exception."""
        try:
            self._load_version(version)
        except Exception:
            logger.warning("knowledge index version %s not loaded in the background; still answering from %s",
                           version, self.loaded_version, exc_info=True)

    def refresh(self, force: bool = False, wait: bool = False) -> None:
        """Pick up a newer database index version (cheap: one indexed row read per interval)."""
        now = time.monotonic()
        if not force and self._index is not None and now - self._last_check < self.settings.version_check_interval:
            return
        self._last_check = now
        with self._maker() as session:
            db = state.read_state(session)
        if self._index is not None and db.version == self._index.version:
            return
        if db.embedding_model and (db.embedding_model != self.embedder.name or db.dimension != self.embedder.dim):
            self._error = (f"database embeddings come from {db.embedding_model} (dimension {db.dimension}) "
                           f"but the loaded model is {self.embedder.name} (dimension {self.embedder.dim}); "
                           "run `flask kb reindex --full`")
            return
        if self._index is None or wait:
            self._load_version(db.version)
            return
        # Keep answering from the old snapshot while the new one loads.
        if self._refreshing is None or not self._refreshing.is_alive():
            self._refreshing = threading.Thread(target=self._load_in_background, args=(db.version,),
                                                name="kb-refresh", daemon=True)
            self._refreshing.start()

    def _bump_and_publish(self) -> int:
        with self._maker.begin() as session:
            version = state.bump_version(session, self.embedder.name, self.embedder.dim)
        self._swap(self._publish(version))
        return version

    # ---- ingestion ------------------------------------------------------------------------

    def ingest(self, paths: Sequence[str | Path], tags: Sequence[str] = (), prune: bool = False,
               progress: bool | Callable[[int], None] = True,
               roots: Sequence[str | Path] | None = None) -> ing.IngestReport:
        """Ingest files/directories; see ``ingest`` module for the rules."""
        start = time.perf_counter()
        report = ing.IngestReport()
        allowed = [Path(os.path.realpath(r)) for r in (roots or self.settings.allowed_roots)]
        parsed: list[tuple[Path, list[Any], str]] = []
        walked = [Path(os.path.realpath(given)) for given in paths]
        protected: set[str] = set()
        for path, _root, problem in ing.iter_files([Path(p) for p in paths], allowed, self.settings.extensions):
            if problem:
                report.failed += 1
                report.errors.append(problem)
                continue
            try:
                docs, fhash = ing.parse_path(path)
            except ParseError as exc:
                report.failed += 1
                report.errors.append(str(exc))
                protected.add(str(path))
                continue
            parsed.append((path, docs, fhash))
        total = sum(len(chunk_text(d.text, self.settings.chunk_size, self.settings.chunk_overlap) or [1])
                    for _, docs, _ in parsed for d in docs)
        bar, tick = _progress(progress, total)
        try:
            for path, docs, fhash in parsed:
                ing.ingest_file(self._maker, path, docs, fhash, tags, self.settings, self.embedder, report, tick,
                                scanner=self.scanner)
        finally:
            if bar is not None:
                bar.close()
        if prune:
            seen = {d.source for _, docs, _ in parsed for d in docs}
            report.pruned = self._prune(walked, seen, protected)
        report.index_version = self._bump_and_publish() if report.changed else self._current_version()
        report.seconds = ing.elapsed_since(start)
        return report

    def ingest_upload(self, upload: Upload, tenant: str | None, tags: Sequence[str] = ()) -> tuple[
        ing.IngestReport, list[int]
    ]:
        """Ingest uploaded bytes for ``tenant`` (None: shared); returns the report and document ids.
        Raises ``ParseError`` for malformed or unsupported content."""
        start = time.perf_counter()
        report = ing.IngestReport()
        source = upload_source(tenant or "", upload.name)
        docs = parse_upload(upload, source)
        ids = ing.ingest_file(self._maker, Path(source), docs, hashlib.sha256(upload.data).hexdigest(), tags,
                              self.settings, self.embedder, report, None, tenant=tenant,
                              scanner=self.scanner)
        report.index_version = self._bump_and_publish() if report.changed else self._current_version()
        report.seconds = ing.elapsed_since(start)
        return report, ids

    def documents(self, tenant: str | None, limit: int | None = None, before: int | None = None) -> list[DocumentInfo]:
        """Documents owned by ``tenant`` (None or "": the shared ones), newest first: all of them, or
        at most ``limit`` with ids below ``before`` (a page: pass the last id seen for the next one)."""
        query = (select(Document.id, Document.title, Document.source, Document.language, Document.visibility,
                        Document.tags, Document.created_at, Document.updated_at)
                 .where(_owned_by(tenant)).order_by(Document.id.desc()).limit(limit))
        if before is not None:
            query = query.where(Document.id < before)
        with self._maker() as session:
            rows = session.execute(query).all()
        return [DocumentInfo(r[0], r[1], r[2], r[3], r[4], list(r[5] or []), as_utc(r[6]), as_utc(r[7]))
                for r in rows]

    def delete_document(self, document_id: int, tenant: str | None) -> bool:
        """Delete one of ``tenant``'s documents (chunks and learned boosts go with it); False if none."""
        if not 0 < document_id <= MAX_ROW_ID:
            return False
        with self._maker.begin() as session:
            row = session.scalars(select(Document).where(Document.id == document_id, _owned_by(tenant))).first()
            if row is None:
                return False
            session.delete(row)
        self._bump_and_publish()
        return True

    def clear_caches(self) -> None:
        """Forget cached query results and query vectors (keyed by digests of question text)."""
        self.cache.clear()
        self._vectors.clear()

    def _prune(self, roots: list[Path], seen: set[str], protected: set[str]) -> int:
        with self._maker.begin() as session:
            keep = {s for s in session.scalars(select(Document.source).where(Document.path.in_(protected)))}
        return ing.prune_missing(self._maker, roots, seen | keep)

    def _current_version(self) -> int:
        self.refresh(force=True, wait=True)
        return self._index.version if self._index is not None else 0

    # ---- search ---------------------------------------------------------------------------

    def _snapshot(self) -> LoadedIndex:
        self.refresh()
        if self._error:
            raise IndexMismatchError(self._error)
        index = self._index
        if index is None:
            raise IndexNotReadyError("no index: ingest documents first")
        return index

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """The query vector, for callers that reuse it (memory, feedback) and pass it back to search.
        Cached: repeated questions (FAQ traffic) skip the model, the one costly step of a turn."""
        key = text_key(text)
        cached = self._vectors.get(key)
        if cached is not None:
            return cached
        vector = self.embedder.embed_query(text)
        self._vectors.put(key, vector)
        return vector

    def search(self, query: str, *, lang: str | None = None, top_k: int | None = None,
               filters: dict[str, Any] | None = None,
               query_vector: npt.NDArray[np.float32] | None = None) -> list[SearchHit]:
        """Top hits for ``query``; ``lang`` prefers (not restricts) that language, ``filters`` restrict."""
        index = self._snapshot()
        k = top_k or self.settings.top_k
        key = cache_key(query, lang, k, filters, index.version)
        cached = self.cache.get(key)
        if cached is not None:
            return [h.copy() for h in cached]
        hits = search_index(index, self.embedder, self.settings, self.reranker, query,
                            lang=lang, top_k=k, filters=filters, query_vector=query_vector)
        self.cache.put(key, hits)
        # Callers may set scores and texts on their hits; the cache keeps its own (shallow copies:
        # nothing is changed inside a hit's fields).
        return [h.copy() for h in hits]

    def question_language(self, text: str) -> str | None:
        """The language, among those the loaded index holds, that ``text`` is most likely in (what
        search assumes for a question without a language); ``None`` without a usable index."""
        try:
            held = self._snapshot().language_set()
        except KnowledgeError:
            return None
        return detect_language(text, held) if held else None

    def term_weights(self, text: str, lang: str | None = None) -> dict[str, float]:
        """Corpus IDF of the tokens of ``text``: how telling each word of a question is. The index
        counts stems, so each word weighs what its stem does in ``lang``."""
        words = tokenize(text)
        roots = stems(words, lang)
        idf = self._snapshot().lexical.idf(roots)
        return {word: idf[root] for word, root in zip(words, roots, strict=True)}

    def search_many(self, queries: Iterable[str | dict[str, Any]], *, top_k: int | None = None,
                    filters: dict[str, Any] | None = None) -> list[list[SearchHit]]:
        """Answer many queries in one process; items are strings or ``{"query", "lang"?}``."""
        out = []
        for item in queries:
            if isinstance(item, str):
                out.append(self.search(item, top_k=top_k, filters=filters))
            else:
                out.append(self.search(str(item["query"]), lang=item.get("lang"), top_k=top_k, filters=filters))
        return out

    def cache_stats(self) -> dict[str, int]:
        return self.cache.stats()

    # ---- status, readiness, reindex -------------------------------------------------------

    def status(self, check_sources: bool = True, document_ids: Collection[int] | None = None) -> state.KBStatus:
        """Counts, versions and stale documents (only among ``document_ids`` when given)."""
        sig = ing.signature(self.settings, self.embedder.name)
        with self._maker() as session:
            db = state.read_state(session)
            docs, chunks, langs = state.counts(session)
            stale = state.find_stale(session, sig, document_ids) if check_sources else []
        age = (datetime.now(UTC) - as_utc(db.updated_at)).total_seconds() if db.updated_at else None
        result = state.KBStatus(docs, chunks, db.version, self.loaded_version, db.embedding_model or
                                self.embedder.name, db.dimension, chunking_settings(self.settings), age,
                                stale, langs, self._error)
        self._last_status, self._last_status_at = result, time.monotonic()
        return result

    def metrics(self) -> dict[str, float]:
        """Gauges for /metrics: stale documents, index age, cache hits/misses, index version."""
        # Without a configured re-check interval the gauges still refresh, at most once a minute:
        # a status read walks the sources, too slow for every scrape, but it must not go stale.
        interval = self.settings.recheck_interval or _GAUGE_REFRESH_SECONDS
        if self._last_status is None or time.monotonic() - self._last_status_at > interval:
            self.status()
        st = self._last_status
        assert st is not None
        cache = self.cache.stats()
        return {"stale_documents": float(len(st.stale)), "index_age_seconds": float(st.index_age_seconds or 0),
                "index_version": float(st.index_version), "chunks": float(st.chunks),
                "cache_hits": float(cache["hits"]), "cache_misses": float(cache["misses"])}

    def close(self) -> None:
        """Release the embedder's ingest worker processes and the database pool."""
        closer = getattr(self._embedder, "close", None)
        if callable(closer):
            closer()
        self.engine.dispose()

    def warm_up(self) -> None:
        """Load the model, the language identifier and the index now rather than on the first query."""
        self.refresh(force=True, wait=True)
        self.embedder.embed_query("warm up")
        detect_language("warm up", self._index.language_set() if self._index is not None else ())

    def warm_chunk_terms(self, deadline: float) -> None:
        """Build the per-chunk term sets that ranking reads, and the sentences snippets are picked
        from, until ``deadline`` (``time.monotonic``): otherwise each worker builds them during its
        first few thousand turns."""
        index = self._index
        if index is None:
            return
        for row in range(index.size):
            if time.monotonic() > deadline:
                return
            index.terms(row)
            warm_snippet(index.records[row].text)

    def quotable_chunks(self) -> Iterable[tuple[str, str, str]]:
        """(title, text as a reply would quote it, language) of each chunk of the loaded index."""
        index = self._index
        for rec in index.records if index is not None else ():
            yield rec.title, rec.text if rec.scanned_text is None else rec.scanned_text, rec.language

    def check_ready(self) -> tuple[bool, str]:
        """(ok, detail) for /ready: the index loads and matches the embedding model's dimension."""
        try:
            self.refresh(force=True, wait=True)
        except Exception as exc:  # /ready must report, never raise
            return False, f"knowledge base unavailable: {exc}"
        if self._error:
            return False, self._error
        if self._index is None or self._index.size == 0:
            return True, "knowledge base empty (nothing ingested yet)"
        return True, f"index v{self._index.version}: {self._index.size} chunks, model {self.embedder.name}"

    def reindex(self, full: bool = False, document_ids: Collection[int] | None = None) -> ReindexReport:
        """Re-chunk/re-embed stale-by-settings documents (all with ``full``; only ``document_ids``
        when given, as for one tenant's admin), publish a new version."""
        start = time.perf_counter()
        sig = ing.signature(self.settings, self.embedder.name)
        with self._maker() as session:
            stmt = select(Document.id) if full else select(Document.id).where(Document.index_signature != sig)
            if document_ids is not None:
                stmt = stmt.where(Document.id.in_(list(document_ids)))
            ids = list(session.scalars(stmt))
        chunks = ing.reembed_documents(self._maker, ids, self.settings, self.embedder, self.scanner)
        # Chunks kept as they were may have been judged by another detector (or none) at ingest.
        rescanned = (rescan_chunks(self._maker, self.scanner, document_ids) if self.scanner is not None else 0)
        self._error = None
        version = self._bump_and_publish()
        return ReindexReport(version, len(ids), chunks, round(time.perf_counter() - start, 3), rescanned)


def _owned_by(tenant: str | None) -> ColumnElement[bool]:
    if not tenant:
        return or_(Document.tenant.is_(None), Document.tenant == "")
    return Document.tenant == tenant


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    title: str
    source: str
    language: str
    visibility: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime


def _progress(progress: bool | Callable[[int], None], total: int) -> tuple[Any, Callable[[int], None] | None]:
    if callable(progress):
        return None, progress
    if not progress or total == 0:
        return None, None
    # Imported by name so mypy does not need tqdm's stubs; tqdm is only needed for terminal ingests.
    tqdm = importlib.import_module("tqdm").tqdm
    bar = tqdm(total=total, unit="chunk", desc="ingest", disable=None)
    return bar, bar.update
