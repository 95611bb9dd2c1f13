"""Hybrid search over a loaded index: BM25 + dense, fused, language-aware, reranked.

Filters become one boolean mask that both the lexical scoring and the vector search honour, so
filtered-out chunks never take a top-k slot. Raises ``ValueError`` for an unknown filter name and
``IndexMismatchError`` if the query vector does not fit the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.knowledge.chunking import split_sentences
from app.engine.knowledge.embedder import Embedder
from app.engine.knowledge.index import LoadedIndex
from app.engine.knowledge.language import detect_language
from app.engine.knowledge.lexical import top_k as lexical_top_k
from app.engine.knowledge.rerank import Candidate, Reranker
from app.engine.knowledge.settings import RetrievalSettings
from app.engine.knowledge.tokenize import token_set, tokenize
from app.engine.stemming import stems
from app.engine.stopwords import stopwords_for

Mask = npt.NDArray[np.bool_]
FILTER_FIELDS = ("language", "tags", "source", "visibility", "tenant", "document_id")


@dataclass
class SearchHit:
    """One ranked result."""

    chunk_id: int
    document_id: int
    title: str
    text: str
    language: str
    score: float
    source: str
    visibility: str
    metadata: dict[str, Any] = field(default_factory=dict)
    # Raw signals for confidence decisions: cosine similarity and share of query terms in the chunk.
    dense_score: float = 0.0
    term_overlap: float = 0.0
    # The ingest-time injection scan of the chunk (see ``scanning``).
    scan_signature: str = ""
    scanned_text: str | None = None
    query_terms: frozenset[str] = frozenset()
    snippet_chars: int = 240

    def copy(self) -> SearchHit:
        """A shallow copy, as ``copy.copy`` makes (a made snippet included), at a fraction of its cost:
        every search hands out copies of its cached hits."""
        clone = object.__new__(SearchHit)
        clone.__dict__.update(self.__dict__)
        return clone

    @cached_property
    def snippet(self) -> str:
        """Made on first use: a chat turn ranks a pool of hits but shows only the few it cites."""
        return snippet(self.text, set(self.query_terms), self.snippet_chars)


def build_mask(index: LoadedIndex, filters: dict[str, Any] | None) -> Mask | None:
    """AND across fields, OR within a field's list of values; ``None`` means no restriction."""
    if not filters:
        return None
    mask = np.ones(index.size, dtype=bool)
    for name, value in filters.items():
        if name not in FILTER_FIELDS:
            raise ValueError(f"unknown filter {name!r}; known: {', '.join(FILTER_FIELDS)}")
        if value is None:
            continue
        values = [value] if isinstance(value, (str, int)) else list(value)
        field_mask = np.zeros(index.size, dtype=bool)
        for item in values:
            field_mask |= index.field_mask(name, str(item))
        mask &= field_mask
    # A filter that excludes nothing (one tenant, everything shared) must not cost a masked search.
    return None if mask.all() else mask


def _minmax(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    if values.size == 0:
        return values
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        return np.ones_like(values) if hi > 0 else np.zeros_like(values)
    return ((values - lo) / (hi - lo)).astype(np.float32)


def _ranks(values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    order = np.argsort(-values, kind="stable")
    ranks = np.empty_like(order)
    ranks[order] = np.arange(1, values.size + 1)
    return ranks.astype(np.float32)


def fuse(
    dense: npt.NDArray[np.float32], lexical: npt.NDArray[np.float32], settings: RetrievalSettings,
    coverage: float = 1.0,
) -> npt.NDArray[np.float32]:
    """Fused score per candidate from its dense and lexical scores.

    ``coverage`` (share of query tokens the corpus knows) scales the lexical weight: a question in a
    language the corpus lacks matches only stray tokens, and trusting them cost ~10 points of
    cross-language Recall@1 on the XQuAD development set.
    """
    w_dense = float(settings.fusion_weights.get("dense", 0.5))
    w_lex = float(settings.fusion_weights.get("lexical", 0.5)) * float(coverage**settings.lexical_coverage_power)
    if settings.fusion == "rrf":
        k = float(settings.rrf_k)
        lex_part = np.where(lexical > 0, w_lex / (k + _ranks(lexical)), 0.0)
        return (w_dense / (k + _ranks(dense)) + lex_part).astype(np.float32)
    # Lexical scores are divided by the best one; if nothing matched lexically (a question in another
    # language) the lexical part is zero rather than noise stretched to [0, 1].
    best = float(lexical.max()) if lexical.size else 0.0
    lex_norm = lexical / best if best > 0 else np.zeros_like(lexical)
    return (w_dense * _minmax(dense) + w_lex * lex_norm).astype(np.float32)


@lru_cache(maxsize=2048)
def _snippet_sentences(text: str) -> tuple[str, ...]:
    return tuple(split_sentences(text)) or (text,)


def snippet(text: str, query_terms: set[str], limit: int) -> str:
    """The sentence sharing most terms with the query, cut to ``limit`` characters. Chunks and their
    sentences are cited again and again: their split and token sets are cached (and warmed)."""
    best = max(_snippet_sentences(text), key=lambda s: len(query_terms & token_set(s)))
    return best if len(best) <= limit else best[: limit - 1].rstrip() + "…"


def warm_snippet(text: str) -> None:
    """Split ``text`` and make its sentences' token sets ahead of the first turn that cites it."""
    for sentence in _snippet_sentences(text):
        token_set(sentence)


def content_terms(query: str, lang: str | None) -> list[str]:
    """Query tokens without the stop words of the query's language. In a multilingual corpus a
    German "die" or "der" is rare overall, so BM25 would otherwise treat it as a telling word."""
    terms = tokenize(query)
    if not lang:
        return terms
    stop = stopwords_for(lang)
    content = [t for t in terms if t not in stop]
    return content or terms


def search_index(
    index: LoadedIndex,
    embedder: Embedder,
    settings: RetrievalSettings,
    reranker: Reranker | None,
    query: str,
    *,
    lang: str | None = None,
    top_k: int = 5,
    filters: dict[str, Any] | None = None,
    query_vector: npt.NDArray[np.float32] | None = None,
) -> list[SearchHit]:
    """Ranked hits for ``query`` from one index snapshot (``query_vector`` skips re-embedding)."""
    if index.size == 0 or not query.strip():
        return []
    mask = build_mask(index, filters)
    pool = max(settings.candidates, top_k)
    if lang is None and settings.detect_query_language:
        lang = detect_language(query, index.language_set())
    terms = content_terms(query, lang)
    # BM25 indexes stems ("Erstattung" and "Erstattungen" are one word to it); overlap and snippets
    # below compare the words themselves.
    lex_terms = stems(terms, lang)
    lex_all = index.lexical.scores(lex_terms, mask)
    lex_rows, _ = lexical_top_k(lex_all, pool, mask)
    qvec = embedder.embed_query(query) if query_vector is None else np.asarray(query_vector, dtype=np.float32)
    dense_rows, _ = index.vectors.search(qvec, pool, mask)
    # Sorted and distinct, as np.unique makes them; for a few dozen rows a set costs less.
    rows = np.array(sorted({*lex_rows.tolist(), *dense_rows.tolist()}), dtype=np.int64)
    if rows.size == 0:
        return []
    dense = (index.vectors.matrix[rows] @ qvec).astype(np.float32)
    fused = fuse(dense, lex_all[rows], settings, index.lexical.coverage(lex_terms))
    if lang and settings.same_language_boost:
        # Prefer the asker's language among near-equals (parallel translations of one passage), but
        # not over a clearly better passage in another language: the boost fades with the dense gap.
        closeness = np.clip(1.0 - (float(dense.max()) - dense) / settings.same_language_tolerance, 0.0, 1.0)
        fused = fused + settings.same_language_boost * closeness * (index.languages[rows] == lang)
    order = np.argsort(-fused, kind="stable")
    active = reranker if settings.rerank_enabled else None
    # Only candidates that can still reach the top k are built: each needs its chunk's terms.
    depth = max(settings.rerank_depth, top_k) if active is not None else top_k
    candidates = [
        Candidate(int(rows[i]), float(fused[i]), index.records[rows[i]].title, index.records[rows[i]].text,
                  index.terms(int(rows[i])))
        for i in order[:depth]
    ]
    if active is not None:
        candidates = active.rerank(query, candidates)
    term_set = frozenset(terms)
    dense_by_row = dict(zip(rows.tolist(), dense.tolist(), strict=True))
    hits = []
    for cand in candidates[:top_k]:
        rec = index.records[cand.row]
        overlap = len(term_set & index.terms(cand.row)) / len(term_set) if term_set else 0.0
        hits.append(
            SearchHit(
                chunk_id=rec.chunk_id,
                document_id=rec.document_id,
                title=rec.title,
                text=rec.text,
                language=rec.language,
                score=round(cand.score, 6),
                source=rec.source,
                visibility=rec.visibility,
                metadata=dict(rec.metadata, tags=list(rec.tags)),
                dense_score=round(float(dense_by_row[cand.row]), 6),
                term_overlap=round(overlap, 4),
                scan_signature=rec.scan_signature,
                scanned_text=rec.scanned_text,
                query_terms=term_set,
                snippet_chars=settings.snippet_chars,
            )
        )
    return hits
