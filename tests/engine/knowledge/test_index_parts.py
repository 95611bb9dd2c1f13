"""Vector indexes, BM25 top-k, fusion and the query cache."""

from __future__ import annotations

import numpy as np

from app.engine.knowledge.cache import QueryCache, cache_key
from app.engine.knowledge.lexical import LexicalIndex, top_k
from app.engine.knowledge.search import fuse
from app.engine.knowledge.settings import RetrievalSettings
from app.engine.knowledge.vector import AnnVectorIndex, ExactVectorIndex


def _unit(rng: np.random.Generator, n: int, d: int = 32) -> np.ndarray:
    m = rng.standard_normal((n, d)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_exact_and_ann_agree_and_filter_inside() -> None:
    rng = np.random.default_rng(0)
    matrix = _unit(rng, 2000)
    exact, ann = ExactVectorIndex(matrix), AnnVectorIndex.build(matrix, "f32")
    q = matrix[7]
    assert exact.search(q, 5)[0][0] == 7 and ann.search(q, 5)[0][0] == 7
    mask = np.zeros(2000, dtype=bool)
    mask[1000:] = True
    for index in (exact, ann):
        rows, scores = index.search(q, 10, mask)
        assert len(rows) == 10 and (rows >= 1000).all() and np.all(np.diff(scores) <= 1e-6)
    tiny = np.zeros(2000, dtype=bool)
    tiny[[3, 4]] = True
    assert set(ann.search(q, 10, tiny)[0].tolist()) == {3, 4}


def test_bm25_topk_respects_mask_and_skips_zero() -> None:
    lex = LexicalIndex.build([["red", "apple"], ["green", "apple"], ["blue", "sky"]])
    scores = lex.scores(["apple"])
    rows, _ = top_k(scores, 5)
    assert set(rows.tolist()) == {0, 1}
    mask = np.array([False, True, True])
    rows, _ = top_k(lex.scores(["apple"], mask), 5, mask)
    assert rows.tolist() == [1]


def test_weighted_fusion_ignores_lexical_when_nothing_matched() -> None:
    s = RetrievalSettings()
    dense = np.array([0.9, 0.89, 0.5], dtype=np.float32)
    assert fuse(dense, np.zeros(3, np.float32), s).argmax() == 0
    assert fuse(dense, np.array([0.0, 5.0, 0.0], np.float32), s).argmax() == 1
    s.fusion = "rrf"
    assert fuse(dense, np.array([0.0, 5.0, 0.0], np.float32), s).argmax() == 1


def test_cache_counts_and_evicts() -> None:
    cache: QueryCache[int] = QueryCache(2)
    k1, k2, k3 = (cache_key(q, None, 5, None, 1) for q in ("a", "b", "c"))
    assert cache_key("  A ", None, 5, None, 1) == k1
    assert cache_key("a", None, 5, None, 2) != k1
    assert cache.get(k1) is None
    cache.put(k1, 1)
    cache.put(k2, 2)
    cache.put(k3, 3)
    assert cache.get(k1) is None and cache.get(k3) == 3
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 2


def test_cache_keys_never_hold_question_text() -> None:
    key = cache_key("When does my order to jane.doe@example.com ship?", "en", 5, None, 1)
    assert "jane" not in key and "ship" not in key and len(key) == 64
