"""Vector search: exact numpy inner product, and usearch HNSW above a configured size.

Both return (row indices, cosine scores) best first and apply the filter mask inside the search:
the exact index scores only allowed rows; the approximate one searches the graph with
oversampling and falls back to exact search over the allowed rows when the filter is selective.
Raises ``KnowledgeError`` for a query of the wrong dimension.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from app.engine.knowledge.errors import IndexMismatchError, IndexNotReadyError

Matrix = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]
Result = tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]

# Below this fraction of allowed rows, gathering them for exact search beats searching the graph.
_SELECTIVE = 0.05


class VectorIndex(Protocol):
    """Common interface of the exact and approximate indexes."""

    size: int
    kind: str
    matrix: Matrix

    def search(self, query: Matrix, k: int, mask: Mask | None = None) -> Result: ...


def _best(scores: npt.NDArray[np.float32], k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    k = min(k, scores.shape[0])
    if k <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    idx = np.argpartition(-scores, k - 1)[:k]
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return idx.astype(np.int64), scores[idx].astype(np.float32)


class ExactVectorIndex:
    """Brute-force inner product over L2-normalised rows (a few ms below ~50k chunks)."""

    kind = "exact"

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.size = int(matrix.shape[0])
        self.dim = int(matrix.shape[1]) if matrix.ndim == 2 else 0

    def _check(self, query: Matrix) -> None:
        if self.size and query.shape[-1] != self.dim:
            raise IndexMismatchError(f"query dimension {query.shape[-1]} != index dimension {self.dim}")

    def search(self, query: Matrix, k: int, mask: Mask | None = None) -> Result:
        self._check(query)
        if self.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if mask is None:
            return _best(self.matrix @ query, k)
        allowed = np.flatnonzero(mask)
        if allowed.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if allowed.size < self.size * 0.5:
            sub_idx, sub_scores = _best(self.matrix[allowed] @ query, k)
            return allowed[sub_idx].astype(np.int64), sub_scores
        scores = np.where(mask, self.matrix @ query, np.float32(-np.inf)).astype(np.float32)
        idx, sc = _best(scores, min(k, int(allowed.size)))
        return idx, sc


class AnnVectorIndex:
    """usearch HNSW (int8 by default: a third of the memory of float32) over the same rows."""

    kind = "ann"

    def __init__(self, index: Any, matrix: Matrix) -> None:
        self._index = index
        self._exact = ExactVectorIndex(matrix)
        self.matrix = matrix
        self.size = self._exact.size

    @classmethod
    def build(cls, matrix: Matrix, dtype: str = "i8", expansion_search: int = 128) -> AnnVectorIndex:
        from usearch.index import Index

        index = Index(ndim=int(matrix.shape[1]), metric="ip", dtype=dtype, expansion_search=expansion_search)
        if matrix.shape[0]:
            # One thread: the two cores are shared with the web workers.
            index.add(np.arange(matrix.shape[0], dtype=np.uint64), matrix, threads=1)
        return cls(index, matrix)

    def save(self, path: Path) -> None:
        self._index.save(str(path))

    @classmethod
    def load(cls, path: Path, matrix: Matrix, expansion_search: int = 128) -> AnnVectorIndex:
        from usearch.index import Index

        index = Index.restore(str(path), view=False)
        if index is None:
            raise IndexNotReadyError(f"{path}: not a usearch index")
        # usearch declares the setter in a way mypy reads as read-only.
        setattr(index, "expansion_search", expansion_search)  # noqa: B010
        return cls(index, matrix)

    def search(self, query: Matrix, k: int, mask: Mask | None = None) -> Result:
        self._exact._check(query)
        if self.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        allowed = self.size if mask is None else int(mask.sum())
        if allowed == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if mask is not None and allowed < self.size * _SELECTIVE:
            return self._exact.search(query, k, mask)
        fraction = allowed / self.size
        count = min(self.size, int(k / fraction * 2) + k)
        matches = self._index.search(query, count, threads=1)
        keys = np.asarray(matches.keys, dtype=np.int64)
        scores = (1.0 - np.asarray(matches.distances, dtype=np.float32)).astype(np.float32)
        if mask is not None:
            keep = mask[keys]
            keys, scores = keys[keep], scores[keep]
            if keys.size < min(k, allowed):
                return self._exact.search(query, k, mask)
        return keys[:k], scores[:k]
