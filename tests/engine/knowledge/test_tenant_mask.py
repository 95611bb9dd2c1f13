"""Tenant scoping happens inside the search: masked chunks never take a top-k slot."""

from __future__ import annotations

import numpy as np

from app.engine.knowledge import HashingEmbedder, RetrievalSettings
from app.engine.knowledge.cache import cache_key
from app.engine.knowledge.index import ChunkRecord, build_in_memory
from app.engine.knowledge.search import build_mask, search_index


def _record(i: int, tenant: str | None, text: str) -> ChunkRecord:
    return ChunkRecord(i, i, f"doc {i}", text, "en", f"s{i}", "public", tenant, [], {})


def test_shared_and_own_documents_only() -> None:
    embedder = HashingEmbedder(64)
    settings = RetrievalSettings(embedding_model="hashing-64", rerank_enabled=False)
    texts = ["falcon launch date 2042", "falcon launch date 2050", "falcon launch date 2060", "falcon launch 2070"]
    records = [_record(0, "acme", texts[0]), _record(1, "globex", texts[1]), _record(2, None, texts[2]),
               _record(3, "", texts[3])]
    index = build_in_memory(records, embedder.embed_passages(texts), settings, embedder.name)
    mask = build_mask(index, {"tenant": ["", "acme"]})
    assert mask is not None and mask.tolist() == [True, False, True, True]
    hits = search_index(index, embedder, settings, None, "falcon launch", top_k=4, filters={"tenant": ["", "acme"]})
    assert sorted(h.document_id for h in hits) == [0, 2, 3]
    shared_only = search_index(index, embedder, settings, None, "falcon launch", top_k=4, filters={"tenant": [""]})
    assert sorted(h.document_id for h in shared_only) == [2, 3]
    assert np.count_nonzero(build_mask(index, {"tenant": ["globex"]})) == 1


def test_query_cache_keys_differ_by_tenant() -> None:
    acme = cache_key("q", "en", 5, {"tenant": ["", "acme"]}, 1)
    assert acme != cache_key("q", "en", 5, {"tenant": ["", "globex"]}, 1)
